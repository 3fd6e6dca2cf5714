/**
 * `seed`: the source database the emulator reads, as the original had it (tables pinterest_data,
 * geolocation_data, user_data with the original's columns), filled with N linked posts of realistic,
 * deterministic data: the same --seed gives the same rows. The data carries the source's quirks
 * (placeholders, follower counts like '10k', 'Local save in /data/<category>') and a small share of rows
 * that break the cleaning rules, so the pipeline's quarantine has something to catch.
 */
import { Faker, en } from "@faker-js/faker";
import type { Pool } from "mysql2/promise";
import type { GeoEvent, PinEvent, UserEvent } from "../components/events";
import type { Post } from "./source";

export const CATEGORIES = [
  "art",
  "beauty",
  "christmas",
  "diy-and-crafts",
  "education",
  "event-planning",
  "finance",
  "home-decor",
  "mens-fashion",
  "quotes",
  "tattoos",
  "travel",
  "vehicles",
] as const;

export const PLACEHOLDERS = {
  title: "No Title Data Available",
  description: "No description available Story format",
  userInfo: "User Info Error",
  tags: "N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e",
  imageSrc: "Image src error.",
} as const;

export const SOURCE_DDL = [
  `CREATE TABLE IF NOT EXISTS pinterest_data (
    \`index\` INT NOT NULL PRIMARY KEY,
    unique_id VARCHAR(36) NOT NULL,
    title TEXT, description TEXT, poster_name VARCHAR(255), follower_count VARCHAR(32), tag_list TEXT,
    is_image_or_video VARCHAR(64), image_src TEXT, downloaded INT, save_location VARCHAR(255), category VARCHAR(64)
  ) CHARACTER SET utf8mb4`,
  `CREATE TABLE IF NOT EXISTS geolocation_data (
    ind INT NOT NULL PRIMARY KEY, \`timestamp\` DATETIME, latitude DOUBLE, longitude DOUBLE, country VARCHAR(128)
  ) CHARACTER SET utf8mb4`,
  `CREATE TABLE IF NOT EXISTS user_data (
    ind INT NOT NULL PRIMARY KEY, first_name VARCHAR(128), last_name VARCHAR(128), age INT, date_joined DATETIME
  ) CHARACTER SET utf8mb4`,
];

export type PinRow = [
  number,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  number,
  string,
  string,
];
export type GeoRow = [number, string, number, number, string];
export type UserRow = [number, string, string, number, string];

/** The source tables' columns, in the order of the row tuples above. */
export const PIN_COLUMNS = [
  "index",
  "unique_id",
  "title",
  "description",
  "poster_name",
  "follower_count",
  "tag_list",
  "is_image_or_video",
  "image_src",
  "downloaded",
  "save_location",
  "category",
] as const;
export const GEO_COLUMNS = ["ind", "timestamp", "latitude", "longitude", "country"] as const;
export const USER_COLUMNS = ["ind", "first_name", "last_name", "age", "date_joined"] as const;

const columnList = (columns: readonly string[]) => columns.map((c) => `\`${c}\``).join(", ");

/** A generated post as the events a client sends: the same fields a read of the source gives. */
export function postOfRows(rows: { pin: PinRow; geo: GeoRow; user: UserRow }): Post {
  const record = (columns: readonly string[], row: unknown[]) =>
    Object.fromEntries(columns.map((c, i) => [c, row[i]]));
  return {
    pin: record(PIN_COLUMNS, rows.pin) as unknown as PinEvent,
    geo: record(GEO_COLUMNS, rows.geo) as unknown as GeoEvent,
    user: record(USER_COLUMNS, rows.user) as unknown as UserEvent,
  };
}

export interface SeedOptions {
  posts: number;
  seed: number;
  /** Share of posts (0-1) given a value that breaks a cleaning rule. */
  malformedShare: number;
  /** Drop and recreate the tables first. */
  replace: boolean;
}

export interface SeedSummary {
  posts: number;
  malformed: number;
}

/** 'YYYY-MM-DD HH:MM:SS', as the original's payloads carry datetimes. */
export function formatDateTime(date: Date): string {
  return date.toISOString().slice(0, 19).replace("T", " ");
}

function followerCount(f: Faker): string {
  const n = f.number.int({ min: 0, max: 3_000_000 });
  if (n >= 1_000_000) return `${Math.round(n / 1_000_000)}M`;
  if (n >= 10_000) return `${Math.round(n / 1000)}k`;
  if (n >= 1000) return `${(n / 1000).toFixed(1).replace(/\.0$/, "")}k`;
  return String(n);
}

/** One post's three rows; `malformed` picks which rule it breaks (or none). */
export function generatePost(
  f: Faker,
  ind: number,
  malformed: boolean,
): { pin: PinRow; geo: GeoRow; user: UserRow } {
  const category = f.helpers.arrayElement(CATEGORIES);
  const userInfoError = f.number.float() < 0.05;
  const imageError = f.number.float() < 0.04;
  const storyFormat = f.number.float() < 0.15;
  const pin: PinRow = [
    ind,
    f.string.uuid(),
    f.number.float() < 0.1 ? PLACEHOLDERS.title : f.lorem.sentence({ min: 3, max: 8 }).replace(/\.$/, ""),
    f.number.float() < 0.08 ? PLACEHOLDERS.description : f.lorem.paragraph({ min: 1, max: 3 }),
    userInfoError ? PLACEHOLDERS.userInfo : f.internet.username(),
    userInfoError ? PLACEHOLDERS.userInfo : followerCount(f),
    f.number.float() < 0.07 ? PLACEHOLDERS.tags : f.lorem.words({ min: 2, max: 6 }).split(" ").join(","),
    storyFormat
      ? "multi-video(story page format)"
      : f.helpers.arrayElement(["image", "image", "image", "video"]),
    imageError
      ? PLACEHOLDERS.imageSrc
      : `https://i.pinimg.com/originals/${f.string.hexadecimal({ length: 2, prefix: "" })}/${f.string.hexadecimal({ length: 32, prefix: "" })}.jpg`,
    imageError ? 0 : 1,
    `Local save in /data/${category}`,
    category,
  ];
  const geo: GeoRow = [
    ind,
    formatDateTime(f.date.between({ from: "2017-01-01T00:00:00Z", to: "2022-12-31T23:59:59Z" })),
    f.location.latitude({ precision: 4 }),
    f.location.longitude({ precision: 4 }),
    f.location.country(),
  ];
  const user: UserRow = [
    ind,
    f.person.firstName(),
    f.person.lastName(),
    f.number.int({ min: 18, max: 75 }),
    formatDateTime(f.date.between({ from: "2015-01-01T00:00:00Z", to: "2020-12-31T23:59:59Z" })),
  ];
  if (malformed) {
    // Each breaks one field rule the cleaning enforces: the job must null that field and record it.
    switch (f.helpers.arrayElement(["latitude", "longitude", "age", "follower_count"] as const)) {
      case "latitude":
        geo[2] = f.helpers.arrayElement([123.4567, -95.5]);
        break;
      case "longitude":
        geo[3] = f.helpers.arrayElement([212.25, -400]);
        break;
      case "age":
        user[3] = f.helpers.arrayElement([-3, 0, 151]);
        break;
      case "follower_count":
        pin[5] = f.helpers.arrayElement(["lots", "12x", "-5k"]);
        break;
    }
  }
  return { pin, geo, user };
}

export async function seedSource(
  pool: Pool,
  options: SeedOptions,
  onProgress?: (done: number) => void,
): Promise<SeedSummary> {
  const f = new Faker({ locale: [en] });
  f.seed(options.seed);
  if (options.replace) {
    await pool.query("DROP TABLE IF EXISTS pinterest_data, geolocation_data, user_data");
  }
  for (const ddl of SOURCE_DDL) await pool.query(ddl);
  const [[{ existing }]] = await pool.query<Array<{ existing: number } & import("mysql2").RowDataPacket>>(
    "SELECT COUNT(*) AS existing FROM pinterest_data",
  );
  if (Number(existing) > 0) {
    throw new Error(`the source already holds ${existing} posts; pass --replace to recreate it`);
  }
  let malformed = 0;
  const chunk = 1000;
  for (let start = 1; start <= options.posts; start += chunk) {
    const pins: PinRow[] = [];
    const geos: GeoRow[] = [];
    const users: UserRow[] = [];
    for (let ind = start; ind < Math.min(start + chunk, options.posts + 1); ind++) {
      const bad = f.number.float() < options.malformedShare;
      if (bad) malformed++;
      const post = generatePost(f, ind, bad);
      pins.push(post.pin);
      geos.push(post.geo);
      users.push(post.user);
    }
    await pool.query(`INSERT INTO pinterest_data (${columnList(PIN_COLUMNS)}) VALUES ?`, [pins]);
    await pool.query(`INSERT INTO geolocation_data (${columnList(GEO_COLUMNS)}) VALUES ?`, [geos]);
    await pool.query(`INSERT INTO user_data (${columnList(USER_COLUMNS)}) VALUES ?`, [users]);
    onProgress?.(Math.min(start + chunk - 1, options.posts));
  }
  return { posts: options.posts, malformed };
}
