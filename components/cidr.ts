/**
 * Address arithmetic and the NAT modes, shared by the config parser (config.ts) and the Network component:
 * here, below both, so components never import the config layer.
 */

export const NAT_GATEWAY_MODES = ["single", "per-az"] as const;
export type NatGatewayMode = (typeof NAT_GATEWAY_MODES)[number];

/** True for an RFC 1918 IPv4 block with a prefix length from 16 to 20 and no host bits set. */
export function isPrivateCidr16to20(text: string): boolean {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!match) return false;
  const octets = match.slice(1, 5).map(Number);
  const bits = Number(match[5]);
  if (octets.some((o) => o > 255) || bits < 16 || bits > 20) return false;
  const address = ipv4ToInt(octets);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  if ((address & ~mask) >>> 0 !== 0) return false;
  const [a, b] = octets;
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

export function ipv4ToInt(octets: number[]): number {
  return (((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3]) >>> 0;
}
