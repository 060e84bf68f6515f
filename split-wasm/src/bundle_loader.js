// scripts/release (split-wasm): a page's chunks in one response. The chunks one load asks for
// in the same tick (a page's first load asks for all of its page's at once) are fetched as
// the one bundle split-wasm wrote for exactly that set, when there is one: one file
// compresses far better than some 200 small ones apart (BENCHMARKS.md, first-load budget).
// Any other set, or a bundle that fails, is fetched chunk by chunk as before.
const __cmrBundles = new Set(__CMR_BUNDLE_KEYS__);
let __cmrBatch = null;
let __cmrFirst = true;
const __cmrUrl = (file) => new URL(`./${file}.wasm`, import.meta.url);
function __cmrFetch(name) {
    if (!__cmrFirst) return fetch(__cmrUrl(name));
    if (__cmrBatch === null) {
        __cmrBatch = new Map();
        queueMicrotask(__cmrFlush);
    }
    let waiter = __cmrBatch.get(name);
    if (waiter === undefined) {
        let resolve;
        const promise = new Promise((r) => { resolve = r; });
        waiter = { promise, resolve };
        __cmrBatch.set(name, waiter);
    }
    return waiter.promise;
}
// FNV-1a (32 bits) of the names joined by commas, as split-wasm computes it.
function __cmrKey(text) {
    let hash = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) {
        hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
    }
    return hash.toString(16).padStart(8, "0");
}
// The bundle: a little-endian u32 header length, the header (the names joined by commas),
// then each chunk as a u32 length and its bytes. Null when it is not the set asked for.
function __cmrUnpack(buffer, joined, count) {
    const view = new DataView(buffer);
    const headerLen = view.getUint32(0, true);
    const header = new TextDecoder().decode(new Uint8Array(buffer, 4, headerLen));
    if (header !== joined) return null;
    let at = 4 + headerLen;
    const parts = [];
    for (let i = 0; i < count; i++) {
        const len = view.getUint32(at, true);
        at += 4;
        parts.push(new Uint8Array(buffer, at, len));
        at += len;
    }
    return at === buffer.byteLength ? parts : null;
}
async function __cmrFlush() {
    const batch = __cmrBatch;
    __cmrBatch = null;
    __cmrFirst = false;
    const names = [...batch.keys()].sort();
    const joined = names.join(",");
    const key = __cmrKey(joined);
    let parts = null;
    if (__cmrBundles.has(key)) {
        try {
            const response = await fetch(__cmrUrl(`bundle-${key}`));
            if (response.ok) parts = __cmrUnpack(await response.arrayBuffer(), joined, names.length);
        } catch (_) {
            parts = null;
        }
    }
    names.forEach((name, i) => {
        batch.get(name).resolve(
            parts === null
                ? fetch(__cmrUrl(name))
                : new Response(parts[i], { headers: { "Content-Type": "application/wasm" } }),
        );
    });
}
