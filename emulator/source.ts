/** Reading posts from the source database: by primary key, through one connection pool. */
import * as mysql from "mysql2/promise";
import type { GeoEvent, PinEvent, UserEvent } from "../components/events";

export interface Post {
  pin: PinEvent;
  geo: GeoEvent;
  user: UserEvent;
}

/**
 * A pool for `url` (mysql://user:password@host:port/database). DATETIME columns come back as
 * 'YYYY-MM-DD HH:MM:SS' text, the original's payload format, with no time-zone shift.
 */
export function createSourcePool(url: string, connectionLimit = 4): mysql.Pool {
  return mysql.createPool({ uri: url, connectionLimit, dateStrings: true, supportBigNumbers: true });
}

/** Checks a database URL's shape before any connection is tried. */
export function validateDatabaseUrl(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `--db must be a URL like mysql://user:password@127.0.0.1:3306/pinterest, got '${url}'`;
  }
  if (parsed.protocol !== "mysql:") return `--db must use mysql://, got '${parsed.protocol}//'`;
  if (!parsed.hostname) return "--db names no host";
  if (parsed.pathname.length <= 1) return "--db names no database (mysql://.../<database>)";
  return null;
}

export class PostSource {
  private range: { min: number; max: number } | undefined;

  constructor(private readonly pool: mysql.Pool) {}

  /** Key range of pinterest_data, read once. */
  async keyRange(): Promise<{ min: number; max: number }> {
    if (!this.range) {
      const [[row]] = await this.pool.query<mysql.RowDataPacket[]>(
        "SELECT MIN(`index`) AS min, MAX(`index`) AS max, COUNT(*) AS n FROM pinterest_data",
      );
      if (!row || Number(row.n) === 0)
        throw new Error("the source database has no posts: run `emulator seed` first");
      this.range = { min: Number(row.min), max: Number(row.max) };
    }
    return this.range;
  }

  /** The post with key `ind`, or undefined where the key has a gap. */
  async byKey(ind: number): Promise<Post | undefined> {
    const [[pin]] = await this.pool.query<mysql.RowDataPacket[]>(
      "SELECT * FROM pinterest_data WHERE `index` = ?",
      [ind],
    );
    if (!pin) return undefined;
    const [[geo]] = await this.pool.query<mysql.RowDataPacket[]>(
      "SELECT * FROM geolocation_data WHERE ind = ?",
      [ind],
    );
    const [[user]] = await this.pool.query<mysql.RowDataPacket[]>("SELECT * FROM user_data WHERE ind = ?", [
      ind,
    ]);
    if (!geo || !user) return undefined;
    return { pin: { ...pin } as PinEvent, geo: { ...geo } as GeoEvent, user: { ...user } as UserEvent };
  }

  /**
   * `n` uniformly random posts (sampling with replacement, as the original: a key may come twice), read
   * with three primary-key IN queries instead of three queries per post.
   */
  async randomMany(n: number, random: () => number = Math.random): Promise<Post[]> {
    const { min, max } = await this.keyRange();
    const posts: Post[] = [];
    for (let attempt = 0; posts.length < n && attempt < 100; attempt++) {
      const keys = Array.from(
        { length: n - posts.length },
        () => min + Math.floor(random() * (max - min + 1)),
      );
      const unique = [...new Set(keys)];
      const [pins] = await this.pool.query<mysql.RowDataPacket[]>(
        "SELECT * FROM pinterest_data WHERE `index` IN (?)",
        [unique],
      );
      const [geos] = await this.pool.query<mysql.RowDataPacket[]>(
        "SELECT * FROM geolocation_data WHERE ind IN (?)",
        [unique],
      );
      const [users] = await this.pool.query<mysql.RowDataPacket[]>(
        "SELECT * FROM user_data WHERE ind IN (?)",
        [unique],
      );
      const pin = new Map(pins.map((r) => [Number(r.index), r]));
      const geo = new Map(geos.map((r) => [Number(r.ind), r]));
      const user = new Map(users.map((r) => [Number(r.ind), r]));
      for (const key of keys) {
        const p = pin.get(key);
        const g = geo.get(key);
        const u = user.get(key);
        // A key in a gap of the range is drawn again.
        if (p && g && u)
          posts.push({ pin: { ...p } as PinEvent, geo: { ...g } as GeoEvent, user: { ...u } as UserEvent });
      }
    }
    if (posts.length < n) throw new Error("too few posts found for random keys: the source is too sparse");
    return posts;
  }

  /** A uniformly random post (sampling with replacement, as the original). */
  async random(random: () => number = Math.random): Promise<Post> {
    const { min, max } = await this.keyRange();
    for (let attempt = 0; attempt < 100; attempt++) {
      const post = await this.byKey(min + Math.floor(random() * (max - min + 1)));
      if (post) return post;
    }
    throw new Error("no post found after 100 random keys: the source is too sparse");
  }
}
