/*
 * v8pin.cc — the one piece of native code that speaks V8 instead of Node-API, because
 * Node-API has no way to say "this memory must outlive what JavaScript does to it".
 *
 * The problem (io_uring-correctness note 7): an SQE carries the raw address of an
 * ArrayBuffer's backing store, and the kernel may write there until the request's
 * terminal CQE.  JavaScript can detach that ArrayBuffer meanwhile —
 * `structuredClone(buf, { transfer: [buf] })`, `postMessage(v, [v.buffer])`,
 * `buf.transfer()` — and the backing store then belongs to the new ArrayBuffer, or is
 * freed when that one is collected.  The kernel would write into freed heap.
 *
 *   addressPinned(ab)  the base address (as `address` in ringcore.c), and a
 *                      std::shared_ptr to the ArrayBuffer's BackingStore held for as
 *                      long as this ArrayBuffer *object* lives (a Node-API finalizer
 *                      drops it).  Detaching only drops the object's own reference:
 *                      our shared_ptr keeps the memory allocated.  Every op holds its
 *                      views, and so their ArrayBuffer objects, until the terminal CQE
 *                      — so the memory the SQE names is valid until then, whatever
 *                      JavaScript does.  Cost: nothing per operation; JavaScript calls
 *                      this once per ArrayBuffer (runtime/../op/buffers.ts caches it).
 *   seal(ab)           makes `ab` non-detachable (v8::ArrayBuffer::SetDetachKey with
 *                      a key nobody else has): for memory the ring owns and lends out
 *                      (provided-buffer rings), which must never be taken away from
 *                      the kernel.  transfer(), structuredClone and postMessage with
 *                      it in the transfer list throw instead of detaching.
 *
 * napi_value is a v8::Local<v8::Value> in Node (src/js_native_api_v8.h converts them
 * with a memcpy, as below); that holds on every Node line (20, 22, 24) but not in
 * runtimes that implement Node-API over another engine, so JavaScript calls these
 * only on Node (sys/native.ts decides) and falls back to `address`/markAsUntransferable
 * elsewhere.
 *
 * May touch: the ArrayBuffers it is given.  Nothing else.
 */
#include <cstring>
#include <memory>

#include <node_api.h>
#include <v8.h>

namespace {

v8::Local<v8::Value> ToLocal(napi_value v) {
  v8::Local<v8::Value> local;
  std::memcpy(static_cast<void *>(&local), &v, sizeof v);
  return local;
}

void Unpin(napi_env, void *data, void *) {
  delete static_cast<std::shared_ptr<v8::BackingStore> *>(data);
}

napi_value Throw(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return nullptr;
}

}  // namespace

extern "C" napi_value rc_address_pinned(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 1) {
    return Throw(env, "addressPinned: expected an ArrayBuffer");
  }
  bool is = false;
  napi_is_arraybuffer(env, argv[0], &is);
  if (!is) return Throw(env, "addressPinned: expected an ArrayBuffer");
  v8::Local<v8::ArrayBuffer> ab = ToLocal(argv[0]).As<v8::ArrayBuffer>();
  void *data = ab->Data();
  // Nothing to pin for an empty or detached buffer (JavaScript refuses those first).
  if (data != nullptr && ab->ByteLength() > 0) {
    auto *held = new std::shared_ptr<v8::BackingStore>(ab->GetBackingStore());
    if (napi_add_finalizer(env, argv[0], held, Unpin, nullptr, nullptr) != napi_ok) {
      delete held;
      napi_throw_error(env, "ERR_RINGCORE_NAPI", "addressPinned: napi_add_finalizer failed");
      return nullptr;
    }
  }
  napi_value out;
  napi_create_double(env, static_cast<double>(reinterpret_cast<uintptr_t>(data)), &out);
  return out;
}

extern "C" napi_value rc_seal(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 1) {
    return Throw(env, "seal: expected an ArrayBuffer");
  }
  bool is = false;
  napi_is_arraybuffer(env, argv[0], &is);
  if (!is) return Throw(env, "seal: expected an ArrayBuffer");
  v8::Isolate *isolate = v8::Isolate::GetCurrent();
  ToLocal(argv[0]).As<v8::ArrayBuffer>()->SetDetachKey(v8::Symbol::New(isolate));
  return nullptr;
}
