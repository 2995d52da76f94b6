// Entry module of the gateway Worker `kuratchi-do-internal`. Uploaded as-is: no build step.
import { handleRequest } from "./gateway.js";

export { KuratchiDoInternal } from "./database.js";

export default {
  fetch(request, env) {
    return handleRequest(request, env);
  },
};
