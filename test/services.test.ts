/**
 * The real engines the tests and the local pipeline stand on: a Kafka 4 KRaft broker and a private MariaDB,
 * each started on a free loopback port and stopped after, pass or fail.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import * as mysql from "mysql2/promise";
import { KafkaBroker } from "../local/services/kafka";
import { MariaDb } from "../local/services/mariadb";

function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

describe("Kafka broker helper", function () {
  this.timeout(180000);
  let stateDir: string;
  let broker: KafkaBroker | undefined;

  before(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "kafka-test-"));
    broker = await KafkaBroker.launch({ stateDir });
  });
  after(async () => {
    await broker?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it("produces and consumes a record with kafkajs on a single-node KRaft broker", async () => {
    const kafka = new Kafka({
      clientId: "services-test",
      brokers: [broker!.bootstrap],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "pins", numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();

    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const value = JSON.stringify({ index: 7528, category: "mens-fashion" });
    const [sent] = await producer.send({ topic: "pins", acks: -1, messages: [{ key: "7528", value }] });
    await producer.disconnect();
    assert.equal(sent.errorCode, 0);

    const consumer = kafka.consumer({ groupId: "services-test" });
    await consumer.connect();
    await consumer.subscribe({ topic: "pins", fromBeginning: true });
    const received = await new Promise<{ key: string; value: string; offset: string }>((resolve) => {
      void consumer.run({
        eachMessage: ({ message }) => {
          resolve({ key: String(message.key), value: String(message.value), offset: message.offset });
          return Promise.resolve();
        },
      });
    });
    await consumer.disconnect();
    assert.deepEqual(received, { key: "7528", value, offset: "0" });
  });

  it("refuses to create topics implicitly, as the deployed cluster does", async () => {
    const kafka = new Kafka({
      clientId: "services-test",
      brokers: [broker!.bootstrap],
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({ allowAutoTopicCreation: true, retry: { retries: 1 } });
    await producer.connect();
    await assert.rejects(producer.send({ topic: "typo-topic", messages: [{ value: "x" }] }));
    await producer.disconnect();
  });

  it("stops, frees its port, and starts again on the same data", async () => {
    const port = broker!.port;
    await broker!.stop();
    assert.equal(broker!.running, false);
    assert.equal(await portIsClosed(port), true);
    await broker!.start();
    const admin = new Kafka({ brokers: [broker!.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets("pins");
    await admin.disconnect();
    assert.deepEqual(
      offsets.map((o) => o.high),
      ["1"],
    );
  });
});

describe("MariaDB helper", function () {
  this.timeout(120000);
  let stateDir: string;
  let db: MariaDb | undefined;

  before(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "mariadb-test-"));
    db = await MariaDb.launch({ stateDir });
  });
  after(async () => {
    await db?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it("serves a private database to its application user over loopback with mysql2", async () => {
    const connection = await mysql.createConnection(db!.url);
    try {
      await connection.query("CREATE TABLE user_data (ind INT PRIMARY KEY, first_name VARCHAR(64), age INT)");
      await connection.query("INSERT INTO user_data VALUES (?, ?, ?)", [7528, "Abigail", 20]);
      const [rows] = await connection.query("SELECT ind, first_name, age FROM user_data");
      assert.deepEqual(rows, [{ ind: 7528, first_name: "Abigail", age: 20 }]);
      const [[version]] = await connection.query<mysql.RowDataPacket[]>("SELECT VERSION() AS v");
      assert.match(String(version.v), /MariaDB/);
    } finally {
      await connection.end();
    }
  });

  it("gives the application user its own database only", async () => {
    const connection = await mysql.createConnection(db!.url);
    try {
      await assert.rejects(connection.query("CREATE DATABASE other"), /Access denied/);
    } finally {
      await connection.end();
    }
  });

  it("rejects a wrong password", async () => {
    await assert.rejects(
      mysql.createConnection({ ...db!.connectionOptions, password: "wrong" }),
      /Access denied for user 'pinpipe'/,
    );
  });
});
