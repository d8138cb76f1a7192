// Baseline 1: the machine's limit, a node:http handler answering a fixed JSON body.
import http from "node:http";
import type { AddressInfo } from "node:net";

const body = JSON.stringify({ data: { heartbeat: { deviceId: "00000000-0000-0000-0000-000000000000", serverTime: "2026-01-01T00:00:00.000Z" } } });
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, "127.0.0.1", () => console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}/`));
