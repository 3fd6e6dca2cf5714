/** `console`: the original's print-to-console mode: random posts printed as the three records. */
import { PostSource } from "./source";

export async function printPosts(
  source: Pick<PostSource, "random">,
  count: number,
  intervalMs: number,
  write: (line: string) => void,
  signal?: AbortSignal,
): Promise<number> {
  let printed = 0;
  while (printed < count && !signal?.aborted) {
    const post = await source.random();
    write(`pinterest_data: ${JSON.stringify(post.pin)}`);
    write(`geolocation_data: ${JSON.stringify(post.geo)}`);
    write(`user_data: ${JSON.stringify(post.user)}`);
    printed++;
    if (intervalMs > 0 && printed < count) await new Promise((r) => setTimeout(r, intervalMs));
  }
  return printed;
}
