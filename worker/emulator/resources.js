// Workers KV namespaces, R2 buckets and Queues: the records Cloudflare keeps for them, with its names, errors
// and pagination styles (page numbers for KV, a cursor for R2, one page for Queues unless asked).
import { randomBytes } from "node:crypto";
import { envelope, errors, paginate, positiveInt } from "./cloudflare.js";

const ID_PATTERN = /^[0-9a-f]{32}$/;
const R2_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const QUEUE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const newId = () => randomBytes(16).toString("hex");
const removeFrom = (list, item) => list.splice(list.indexOf(item), 1);

export const kvNamespaces = {
  create(account, body) {
    const title = body.title;
    if (typeof title !== "string" || title.length === 0 || title.length > 512) {
      throw errors.badRequest("title must be a string of 1 to 512 characters");
    }
    if (account.kvNamespaces.some((ns) => ns.title === title)) throw errors.kvTitleTaken();
    const namespace = { id: newId(), title, supports_url_encoding: true };
    account.kvNamespaces.push(namespace);
    return envelope(namespace);
  },
  list(account, query) {
    const order = query.get("order") ?? "id";
    const direction = query.get("direction") ?? "asc";
    if (!["id", "title"].includes(order) || !["asc", "desc"].includes(direction)) {
      throw errors.badRequest("order must be id or title, direction asc or desc");
    }
    const sorted = [...account.kvNamespaces].sort((a, b) => a[order].localeCompare(b[order]));
    if (direction === "desc") sorted.reverse();
    return paginate(sorted, query, { defaultPerPage: 20, maxPerPage: 1000 });
  },
  get(account, id) {
    return envelope(findNamespace(account, id));
  },
  rename(account, id, body) {
    const namespace = findNamespace(account, id);
    if (typeof body.title !== "string" || body.title.length === 0) throw errors.badRequest("title must be a string");
    if (account.kvNamespaces.some((ns) => ns.title === body.title && ns !== namespace)) throw errors.kvTitleTaken();
    namespace.title = body.title;
    return envelope(namespace);
  },
  delete(account, id) {
    const namespace = findNamespace(account, id);
    removeFrom(account.kvNamespaces, namespace);
    return envelope({});
  },
};

function findNamespace(account, id) {
  const namespace = account.kvNamespaces.find((ns) => ns.id === id);
  if (!namespace) throw errors.kvNotFound();
  return namespace;
}

export const r2Buckets = {
  create(account, body, jurisdiction) {
    const { name, locationHint, storageClass = "Standard" } = body;
    if (typeof name !== "string" || !R2_NAME.test(name)) throw errors.invalidBucketName();
    if (!["Standard", "InfrequentAccess"].includes(storageClass)) {
      throw errors.badRequest("storageClass must be Standard or InfrequentAccess");
    }
    if (account.r2Buckets.some((b) => b.name === name)) throw errors.bucketExists();
    const bucket = {
      name,
      creation_date: new Date().toISOString(),
      location: (locationHint ?? "enam").toUpperCase(),
      storage_class: storageClass,
      ...(jurisdiction && jurisdiction !== "default" ? { jurisdiction } : {}),
    };
    account.r2Buckets.push(bucket);
    return envelope(bucket);
  },
  list(account, query) {
    const perPage = positiveInt(query.get("per_page"), 20, "per_page");
    if (perPage > 1000) throw errors.badRequest("per_page must be at most 1000");
    const direction = query.get("direction") ?? "asc";
    const contains = query.get("name_contains") ?? "";
    let after = query.get("start_after") ?? "";
    const cursor = query.get("cursor");
    if (cursor) {
      after = Buffer.from(cursor, "base64url").toString("utf8");
    }
    const sorted = account.r2Buckets
      .filter((b) => b.name.includes(contains))
      .sort((a, b) => a.name.localeCompare(b.name));
    if (direction === "desc") sorted.reverse();
    const rest = after ? sorted.filter((b) => (direction === "desc" ? b.name < after : b.name > after)) : sorted;
    const page = rest.slice(0, perPage);
    const more = rest.length > perPage;
    return envelope(
      { buckets: page },
      { result_info: { per_page: perPage, ...(more ? { cursor: Buffer.from(page.at(-1).name).toString("base64url") } : {}) } },
    );
  },
  get(account, name) {
    return envelope(findBucket(account, name));
  },
  delete(account, name) {
    const bucket = findBucket(account, name);
    removeFrom(account.r2Buckets, bucket);
    return envelope({});
  },
};

function findBucket(account, name) {
  const bucket = account.r2Buckets.find((b) => b.name === name);
  if (!bucket) throw errors.bucketNotFound();
  return bucket;
}

export const queues = {
  create(account, body) {
    const name = body.queue_name;
    if (typeof name !== "string" || !QUEUE_NAME.test(name)) throw errors.invalidQueueName();
    if (account.queues.some((q) => q.queue_name === name)) throw errors.queueNameTaken(name);
    const now = new Date().toISOString();
    const queue = {
      queue_id: newId(),
      queue_name: name,
      created_on: now,
      modified_on: now,
      producers: [],
      producers_total_count: 0,
      consumers: [],
      consumers_total_count: 0,
      settings: { delivery_delay: 0, delivery_paused: false, message_retention_period: 345600 },
    };
    account.queues.push(queue);
    return envelope(queue);
  },
  list(account, query) {
    return paginate(account.queues, query, { defaultPerPage: 100, maxPerPage: 1000 });
  },
  get(account, id) {
    return envelope(findQueue(account, id));
  },
  delete(account, id) {
    const queue = findQueue(account, id);
    removeFrom(account.queues, queue);
    return { success: true, errors: [], messages: [] };
  },
};

function findQueue(account, id) {
  if (!ID_PATTERN.test(id)) throw errors.queueIdMalformed();
  const queue = account.queues.find((q) => q.queue_id === id);
  if (!queue) throw errors.queueNotFound();
  return queue;
}
