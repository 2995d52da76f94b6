// Workers script uploads: turning a multipart upload into a script record, with Cloudflare's validation and
// Durable Object migration rules. Pure functions of (previous record, upload): no I/O, so each rule is tested alone.
import { createHash, randomBytes } from "node:crypto";
import { errors } from "./cloudflare.js";

export const SCRIPT_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const BINDING_NAME_PATTERN = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

// Multipart content types and the Miniflare module type each becomes.
const MODULE_TYPES = new Map([
  ["application/javascript+module", "ESModule"],
  ["text/javascript+module", "ESModule"],
  ["application/javascript", "CommonJS"],
  ["text/javascript", "CommonJS"],
  ["text/plain", "Text"],
  ["application/octet-stream", "Data"],
  ["application/wasm", "CompiledWasm"],
]);

/** Reads the multipart body of an upload into {metadata, modules: [{name, type, base64}]}. */
export async function readUpload(contentType, body) {
  if (!/^multipart\/form-data/i.test(contentType ?? "")) {
    throw errors.badRequest("Script uploads must be multipart/form-data with a 'metadata' part");
  }
  let form;
  try {
    form = await new Request("http://upload/", { method: "PUT", headers: { "content-type": contentType }, body }).formData();
  } catch {
    throw errors.badRequest("The multipart body could not be parsed");
  }
  const metadataPart = form.get("metadata");
  if (metadataPart === null) throw errors.badRequest("Missing the 'metadata' part");
  let metadata;
  try {
    metadata = JSON.parse(typeof metadataPart === "string" ? metadataPart : await metadataPart.text());
  } catch {
    throw errors.badRequest("The 'metadata' part is not valid JSON");
  }
  if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) {
    throw errors.badRequest("The 'metadata' part must be a JSON object");
  }
  const modules = [];
  for (const [name, part] of form.entries()) {
    if (name === "metadata") continue;
    const contentTypeOfPart = typeof part === "string" ? "text/plain" : part.type.split(";")[0].trim().toLowerCase();
    const type = MODULE_TYPES.get(contentTypeOfPart);
    if (!type) throw errors.badRequest(`Module '${name}' has an unsupported content type '${contentTypeOfPart}'`);
    const bytes = typeof part === "string" ? Buffer.from(part) : Buffer.from(await part.arrayBuffer());
    modules.push({ name, type, base64: bytes.toString("base64") });
  }
  return { metadata, modules };
}

/**
 * Validates an upload against the script's previous record and returns the new record. Throws the ApiError
 * Cloudflare would answer with. `now` is an ISO timestamp.
 */
export function planUpload({ scriptName, previous, metadata, modules, now, maxScriptBytes }) {
  if (!SCRIPT_NAME_PATTERN.test(scriptName)) throw errors.invalidScriptName();
  if (metadata.body_part !== undefined && metadata.main_module === undefined) {
    throw errors.badRequest("Service-worker syntax (body_part) is not supported by this emulator; use main_module");
  }
  if (typeof metadata.main_module !== "string" || metadata.main_module.length === 0) {
    throw errors.badRequest("metadata.main_module is required and must name one of the uploaded modules");
  }
  const main = modules.find((m) => m.name === metadata.main_module);
  if (!main) throw errors.scriptValidation(`No such module "${metadata.main_module}": main_module must be an uploaded part`);
  if (main.type !== "ESModule" && main.type !== "CommonJS") {
    throw errors.scriptValidation(`main_module "${metadata.main_module}" must be a JavaScript module`);
  }
  const size = modules.reduce((total, m) => total + Buffer.byteLength(m.base64, "base64"), 0);
  if (size > maxScriptBytes) throw errors.scriptTooLarge(maxScriptBytes);
  if (metadata.compatibility_date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(metadata.compatibility_date)) {
    throw errors.badRequest("compatibility_date must be YYYY-MM-DD");
  }
  const flags = metadata.compatibility_flags ?? [];
  if (!Array.isArray(flags) || flags.some((f) => typeof f !== "string")) {
    throw errors.badRequest("compatibility_flags must be an array of strings");
  }

  const { classes, migrationTag } = applyMigrations(previous, metadata.migrations);
  const bindings = mergeBindings(previous, metadata);
  validateBindings(bindings, classes, scriptName);

  // Modules first by main_module, as Miniflare and Cloudflare both take the main module as the entry.
  const ordered = [main, ...modules.filter((m) => m !== main)];
  const record = {
    id: scriptName,
    tag: previous?.tag ?? randomBytes(16).toString("hex"),
    created_on: previous?.created_on ?? now,
    modified_on: now,
    main_module: metadata.main_module,
    compatibility_date: metadata.compatibility_date ?? "2021-11-03",
    compatibility_flags: flags,
    placement_mode: metadata.placement?.mode ?? null,
    usage_model: metadata.usage_model ?? "standard",
    logpush: metadata.logpush ?? false,
    tags: metadata.tags ?? null,
    bindings,
    modules: ordered,
    classes,
    migration_tag: migrationTag,
    subdomain: previous?.subdomain ?? { enabled: false, previews_enabled: false },
    startup_time_ms: 0,
  };
  record.etag = etag(record);
  return record;
}

/**
 * Applies a `migrations` object (single step or `steps`) to the script's Durable Object classes. Classes are looked
 * up as own properties of a prototype-less object: a class may be called "constructor".
 */
export function applyMigrations(previous, migrations) {
  const classes = Object.assign(Object.create(null), structuredClone(previous?.classes ?? {}));
  const currentTag = previous?.migration_tag ?? null;
  if (migrations === undefined || migrations === null) return { classes, migrationTag: currentTag };
  if (typeof migrations !== "object" || Array.isArray(migrations)) {
    throw errors.badRequest("metadata.migrations must be an object");
  }
  if (migrations.old_tag !== undefined && migrations.old_tag !== currentTag) {
    throw errors.oldTagMismatch(currentTag, migrations.old_tag);
  }
  const steps = migrations.steps ?? [migrations];
  if (!Array.isArray(steps)) throw errors.badRequest("metadata.migrations.steps must be an array");
  for (const step of steps) {
    for (const unsupported of ["renamed_classes", "transferred_classes"]) {
      if (step[unsupported]?.length) {
        throw errors.badRequest(`Migration step '${unsupported}' is not supported by this emulator`);
      }
    }
    for (const [list, sqlite] of [
      [step.new_classes, false],
      [step.new_sqlite_classes, true],
    ]) {
      for (const className of list ?? []) {
        if (Object.hasOwn(classes, className)) throw errors.classAlreadyExists(className);
        classes[className] = { sqlite, namespace_id: randomBytes(16).toString("hex") };
      }
    }
    for (const className of step.deleted_classes ?? []) {
      if (!Object.hasOwn(classes, className)) {
        throw errors.badRequest(`Cannot apply deleted_classes migration to non-existent class '${className}'`);
      }
      delete classes[className];
    }
  }
  return { classes, migrationTag: migrations.new_tag ?? currentTag };
}

function mergeBindings(previous, metadata) {
  const bindings = metadata.bindings ?? [];
  if (!Array.isArray(bindings)) throw errors.badRequest("metadata.bindings must be an array");
  const keep = metadata.keep_bindings ?? [];
  if (!Array.isArray(keep)) throw errors.badRequest("metadata.keep_bindings must be an array of binding types");
  const names = new Set(bindings.map((b) => b?.name));
  const kept = (previous?.bindings ?? []).filter((b) => keep.includes(b.type) && !names.has(b.name));
  return [...bindings, ...kept];
}

function validateBindings(bindings, classes, scriptName) {
  const seen = new Set();
  for (const [index, binding] of bindings.entries()) {
    if (binding === null || typeof binding !== "object") throw errors.badRequest(`bindings[${index}] must be an object`);
    const { type, name } = binding;
    if (typeof name !== "string" || !BINDING_NAME_PATTERN.test(name)) {
      throw errors.badRequest(`bindings[${index}].name must be a JavaScript identifier`);
    }
    if (seen.has(name)) throw errors.badRequest(`Binding name '${name}' is used more than once`);
    seen.add(name);
    switch (type) {
      case "secret_text":
      case "plain_text":
        if (typeof binding.text !== "string") throw errors.badRequest(`Binding '${name}' (${type}) needs a 'text' string`);
        break;
      case "durable_object_namespace":
        if (typeof binding.class_name !== "string") {
          throw errors.badRequest(`Binding '${name}' (durable_object_namespace) needs a 'class_name'`);
        }
        if (binding.script_name !== undefined && binding.script_name !== scriptName) {
          throw errors.badRequest(`Binding '${name}': Durable Objects of another script are not supported by this emulator`);
        }
        if (!Object.hasOwn(classes, binding.class_name)) throw errors.classNotMigrated(binding.class_name);
        break;
      default:
        throw errors.badRequest(`Binding '${name}' has type '${type}', which this emulator does not support`);
    }
  }
}

function etag(record) {
  const hash = createHash("sha256");
  const { modules, bindings, main_module, compatibility_date, compatibility_flags, classes } = record;
  hash.update(JSON.stringify({ bindings, main_module, compatibility_date, compatibility_flags, classes: Object.keys(classes) }));
  for (const m of modules) hash.update(`\0${m.name}\0${m.type}\0${m.base64}`);
  return hash.digest("hex");
}

/** The script object Cloudflare returns from an upload or a list. Secrets never appear in it. */
export function scriptResult(record) {
  return {
    id: record.id,
    tag: record.tag,
    etag: record.etag,
    created_on: record.created_on,
    modified_on: record.modified_on,
    startup_time_ms: record.startup_time_ms,
    has_modules: true,
    has_assets: false,
    compatibility_date: record.compatibility_date,
    compatibility_flags: record.compatibility_flags,
    handlers: ["fetch"],
    named_handlers: Object.keys(record.classes).map((name) => ({ name, handlers: ["class"] })),
    migration_tag: record.migration_tag,
    usage_model: record.usage_model,
    logpush: record.logpush,
    placement_mode: record.placement_mode,
    tags: record.tags,
    tail_consumers: null,
    last_deployed_from: "api",
  };
}

/** Settings as GET .../settings returns them: bindings without secret values. */
export function scriptSettings(record) {
  return {
    bindings: record.bindings.map((b) => (b.type === "secret_text" ? { type: b.type, name: b.name } : b)),
    compatibility_date: record.compatibility_date,
    compatibility_flags: record.compatibility_flags,
    logpush: record.logpush,
    placement: record.placement_mode ? { mode: record.placement_mode } : {},
    tags: record.tags,
    usage_model: record.usage_model,
    migration_tag: record.migration_tag,
  };
}
