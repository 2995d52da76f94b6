// Serves the gateway Worker from worker/src in workerd for tests in other languages (the Java client's).
// Reads the gateway key from GATEWAY_API_KEY (and GATEWAY_API_KEY_PREVIOUS), prints {"url": ...} when ready, and
// stops on SIGTERM, SIGINT or when its standard input closes (so it never outlives the test that started it).
import { startGateway } from "./gateway.mjs";

const apiKey = process.env.GATEWAY_API_KEY;
if (!apiKey) {
  console.error("serve-gateway: set GATEWAY_API_KEY");
  process.exit(2);
}
const gateway = await startGateway({ apiKey, previousKey: process.env.GATEWAY_API_KEY_PREVIOUS });
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await gateway.dispose();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.resume();
console.log(JSON.stringify({ url: gateway.url.toString() }));
