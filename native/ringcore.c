/*
 * ringcore.c — the only native code in RingCore: a thin Node-API gate to the kernel.
 *
 * What it does, and nothing more:
 *   setup     io_uring_setup(2), then mmap(2) of the SQ ring, CQ ring and SQE array,
 *             handed to JavaScript as external ArrayBuffers together with every
 *             offset the kernel reported in io_uring_params;
 *   enter     io_uring_enter(2), returning the result or -errno;
 *   register  io_uring_register(2), returning the result or -errno;
 *   address   the base address of an ArrayBuffer's backing store (JS caches it);
 *   close     munmap(2) of the rings (after detaching the ArrayBuffers so that no
 *             JavaScript access can reach unmapped memory) and close(2) of the fd;
 *   watch     a uv_poll on a file descriptor (the ring fd or an eventfd) that calls
 *             a JavaScript function when it becomes readable: this is how
 *             completions wake Node's event loop;
 *   thread    where libuv's poll is missing (Bun) or unreliable (Deno): the same
 *             wake-up from standard Node-API only — a thread blocked in poll(2) on
 *             the eventfd registered with the ring, calling JavaScript through a
 *             napi_threadsafe_function (see "portable wake-ups" below);
 *   eventfd   eventfd(2) for the register-eventfd wake-up paths;
 *   pipe      pipe2(2) + F_SETPIPE_SZ for TcpStream.sendFile's splices (one pipe is
 *             reused for many files: net/pipes.ts; no request sets a pipe's size);
 *   fds       the thread's ledger of file descriptors RingCore owns (one byte per fd
 *             number, written by JavaScript, read only here): when the thread ends
 *             — a worker terminated mid-I/O — they are closed, as Node closes its
 *             own handles, instead of leaking from the process;
 *   pin/seal  in v8pin.cc (Node only): keep an ArrayBuffer's memory alive for as long
 *             as the ArrayBuffer object lives, even if JavaScript detaches it, and
 *             make ring-owned memory non-detachable.
 *
 * There is deliberately no per-operation entry point: TypeScript writes SQEs into
 * the mapped SQE array and reads CQEs out of the mapped CQ ring itself.  No liburing;
 * the few kernel structures used are defined here (the system header may be older
 * than the kernel we run on).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif
#ifndef __NR_io_uring_enter
#define __NR_io_uring_enter 426
#endif
#ifndef __NR_io_uring_register
#define __NR_io_uring_register 427
#endif

/* include/uapi/linux/io_uring.h: struct io_sqring_offsets, io_cqring_offsets,
 * io_uring_params.  Layouts are ABI and never change; newer fields took over
 * reserved words (user_addr), which we leave zero. */
struct rc_sqring_offsets {
  uint32_t head, tail, ring_mask, ring_entries, flags, dropped, array, resv1;
  uint64_t user_addr;
};
struct rc_cqring_offsets {
  uint32_t head, tail, ring_mask, ring_entries, overflow, cqes, flags, resv1;
  uint64_t user_addr;
};
struct rc_params {
  uint32_t sq_entries, cq_entries, flags, sq_thread_cpu, sq_thread_idle, features,
      wq_fd, resv[3];
  struct rc_sqring_offsets sq_off;
  struct rc_cqring_offsets cq_off;
};

#define RC_OFF_SQ_RING 0ULL
#define RC_OFF_CQ_RING 0x8000000ULL
#define RC_OFF_SQES 0x10000000ULL
#define RC_FEAT_SINGLE_MMAP (1U << 0)
#define RC_SETUP_NO_SQARRAY (1U << 16)
#define RC_SETUP_CQE32 (1U << 11)
#define RC_SETUP_SQE128 (1U << 10)

#define CHECK(call)                                                            \
  do {                                                                         \
    if ((call) != napi_ok) {                                                   \
      napi_throw_error(env, "ERR_RINGCORE_NAPI", "Node-API call failed: " #call); \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

static napi_value num(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static int64_t arg_i64(napi_env env, napi_value v) {
  int64_t r = 0;
  napi_get_value_int64(env, v, &r);
  return r;
}

static void set(napi_env env, napi_value obj, const char *k, napi_value v) {
  napi_set_named_property(env, obj, k, v);
}

/* -------------------------------------------------------------- fds --- */

/* One byte per fd number: 1 = owned by a RingCore object of this thread.  Reserved
 * for the largest fd Linux can hand out by default (fs.nr_open = 2^20); pages are
 * only touched when fds that high are used.  Per Node environment (a thread): a
 * worker's ledger is closed out by its own cleanup hook. */
#define RC_LEDGER_SIZE (1u << 20)

typedef struct {
  uint8_t *owned;
} rc_ledger;

/* The thread is ending: close what it still owns (1), not what a submitted CLOSE
 * already took care of (2: its CLOSE was written, and ring_cleanup submitted it).
 * Rings are cleaned up before (hooks run in reverse order of registration, and the
 * ledger is created at load, before any ring), so no request is pending on these. */
static void ledger_cleanup(void *arg) {
  rc_ledger *l = arg;
  for (uint32_t fd = 0; fd < RC_LEDGER_SIZE; fd++)
    if (l->owned[fd] == 1) close((int)fd);
  munmap(l->owned, RC_LEDGER_SIZE);
  free(l);
}

/* fdLedger() -> ArrayBuffer of RC_LEDGER_SIZE bytes (the same one for the thread). */
static napi_value FdLedger(napi_env env, napi_callback_info info) {
  rc_ledger *l = NULL;
  if (napi_get_instance_data(env, (void **)&l) != napi_ok || l == NULL) {
    l = calloc(1, sizeof *l);
    if (l == NULL) {
      napi_throw_error(env, "ERR_RINGCORE_NAPI", "fdLedger: out of memory");
      return NULL;
    }
    l->owned = mmap(NULL, RC_LEDGER_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (l->owned == MAP_FAILED) {
      free(l);
      napi_throw_error(env, "ERR_RINGCORE_NAPI", "fdLedger: mmap failed");
      return NULL;
    }
    napi_set_instance_data(env, l, NULL, NULL);
    napi_add_env_cleanup_hook(env, ledger_cleanup, l);
  }
  napi_value ab;
  CHECK(napi_create_external_arraybuffer(env, l->owned, RC_LEDGER_SIZE, NULL, NULL, &ab));
  return ab;
}

/* ---------------------------------------------------------------- rings -- */

/* What close() needs to undo setup(): the mappings and the ArrayBuffers over them. */
typedef struct {
  int fd;
  void *sq_ring;
  size_t sq_ring_sz;
  void *cq_ring; /* == sq_ring with IORING_FEAT_SINGLE_MMAP */
  size_t cq_ring_sz;
  void *sqes;
  size_t sqes_sz;
  napi_ref bufs[3];
  int closed;
  int hooked; /* an env cleanup hook is registered for this ring */
  napi_env env;
  /* For ring_cleanup: the shared head/tail words and the CQEs. */
  uint32_t *sq_head, *sq_tail, *sq_flags, *cq_head, *cq_tail, cq_mask;
  uint8_t *cqes;
  size_t cqe_size;
  uint32_t sq_mask;
  uint32_t setup_flags;
  uint8_t *ledger; /* the thread's fd ledger (see FdLedger), or NULL */
  /* The portable wake-up thread that reads this ring's CQ words, or NULL: it is
   * stopped (joined) before the rings are unmapped, whoever unmaps them. */
  struct rc_waker *waker;
  /* Written by JavaScript (an external ArrayBuffer over it, `shared` in setup()'s
   * result): [0] = requests whose SQE is complete (written up to [1]) and whose
   * terminal CQE JavaScript has not consumed (CQ head stored past it); [1] = its SQ
   * tail after the last SQE it finished writing (it publishes the tail to the kernel
   * only at its next enter).  JavaScript updates [0] with [1] when it writes an SQE,
   * and with the CQ head when it consumes a terminal CQE, each pair as adjacent
   * stores (no call between, so a worker's termination cannot split them):
   * ring_cleanup submits up to [1] and waits for [0] terminal CQEs. */
  int32_t shared[2];
} rc_ring;

/* The portable wake-up (below): stop its thread; forget the ring. */
struct rc_waker;
static void waker_stop(struct rc_waker *w);

static void ring_unmap(rc_ring *r) {
  munmap(r->sqes, r->sqes_sz);
  if (r->cq_ring != r->sq_ring) munmap(r->cq_ring, r->cq_ring_sz);
  munmap(r->sq_ring, r->sq_ring_sz);
  close(r->fd);
}

/* IORING_REGISTER_SYNC_CANCEL (6.0): struct io_uring_sync_cancel_reg. */
#define RC_REGISTER_SYNC_CANCEL 24
#define RC_CANCEL_ALL (1U << 0)
#define RC_CANCEL_ANY (1U << 2)
struct rc_sync_cancel_reg {
  uint64_t addr;
  int32_t fd;
  uint32_t flags;
  int64_t tv_sec, tv_nsec;
  uint8_t opcode, pad[7];
  uint64_t pad2[3];
};

#define RC_ENTER_GETEVENTS (1U << 0)
#define RC_ENTER_SQ_WAKEUP (1U << 1)
#define RC_ENTER_EXT_ARG (1U << 3)
#define RC_SETUP_SQPOLL (1U << 1)
#define RC_SETUP_DEFER_TASKRUN (1U << 13)
#define RC_OP_CLOSE 19
#define RC_SQ_CQ_OVERFLOW (1U << 1)
#define RC_CQE_F_MORE (1U << 1)
/* user_data high-word bit: "this request's result is a new fd" (op/slots.ts). */
#define RC_UD_FD_RESULT 0x20000000u

/* struct io_uring_getevents_arg, for an enter that waits with a timeout (5.11). */
struct rc_getevents_arg {
  uint64_t sigmask;
  uint32_t sigmask_sz, pad;
  uint64_t ts;
};
struct rc_timespec {
  int64_t tv_sec, tv_nsec;
};

static int64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Read the CQEs JavaScript will never see; returns how many were terminal (ended a
 * request).  One that carries a new fd (an open or accept that finished, marked in
 * its user_data) is closed: nobody else will.  JavaScript stores the CQ head before
 * it handles a CQE, so none of these was delivered to it. */
static uint32_t drain_cq(rc_ring *r) {
  uint32_t ended = 0;
  uint32_t ch = *r->cq_head, tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
  for (; ch != tail; ch++) {
    const uint8_t *cqe = r->cqes + (size_t)(ch & r->cq_mask) * r->cqe_size;
    uint32_t ud_lo, ud_hi, flags;
    int32_t res;
    memcpy(&ud_lo, cqe, 4);
    memcpy(&ud_hi, cqe + 4, 4);
    memcpy(&res, cqe + 8, 4);
    memcpy(&flags, cqe + 12, 4);
    if ((ud_hi & RC_UD_FD_RESULT) && res >= 0) {
      close(res);
      if (r->ledger && (uint32_t)res < RC_LEDGER_SIZE) r->ledger[res] = 0;
    }
    /* user_data 0 is the ring's own cancel-everything: it holds no slot. */
    if (!(flags & RC_CQE_F_MORE) && (ud_lo | ud_hi) != 0) ended++;
  }
  __atomic_store_n(r->cq_head, ch, __ATOMIC_RELEASE);
  return ended;
}

/* The thread (a worker, or the main thread at exit) is going away with the ring
 * still open.  Requests may still be in flight, pointing at ArrayBuffers of a heap
 * that is about to be freed: closing the ring fd would only start an asynchronous
 * teardown in the kernel, during which a running request can still write into that
 * memory.  So, in order:
 *  1. Submit what JavaScript wrote but had not entered yet (shared[1]): a close made
 *     just before the thread ended still happens, and every request holding a slot
 *     is in the kernel, to be cancelled and waited for.  A CLOSE among them closes its fd now, so the ledger must not close it
 *     again (JavaScript may not have had time to note that it was written).
 *  2. Ask the kernel to cancel everything (IORING_REGISTER_SYNC_CANCEL, ANY|ALL).
 *     That does not wait for requests already running in io-wq (-EALREADY), so:
 *  3. Wait until every request JavaScript had in flight (shared[0]) has posted its
 *     terminal CQE — reading them as they come (drain_cq) — bounded at 5 s for a
 *     request that will not stop.
 *  4. Unmap and close the ring. */
static void ring_cleanup(void *arg) {
  rc_ring *r = arg;
  r->hooked = 0;
  if (r->closed) return;
  r->closed = 1;
  if (r->waker) waker_stop(r->waker); /* it reads the CQ words about to be unmapped */
  int sqpoll = (r->setup_flags & RC_SETUP_SQPOLL) != 0;
  uint32_t head = __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE);
  uint32_t tail = __atomic_load_n(r->sq_tail, __ATOMIC_ACQUIRE);
  uint32_t written = (uint32_t)__atomic_load_n(&r->shared[1], __ATOMIC_ACQUIRE);
  /* Every SQE JavaScript finished writing is complete in the array: publish them all
   * (the kernel reads up to the tail), unless the word makes no sense. */
  if (written - head <= r->sq_mask + 1 && written - tail <= r->sq_mask + 1) {
    tail = written;
    __atomic_store_n(r->sq_tail, tail, __ATOMIC_RELEASE);
  }
  uint32_t pending = tail - head;
  uint32_t reaped_early = 0; /* terminal CQEs read while submitting (counted below) */
  if (pending > 0 && pending <= 65536) {
    for (uint32_t i = 0; i < pending && r->ledger; i++) {
      const uint8_t *sqe = (const uint8_t *)r->sqes + (size_t)((head + i) & r->sq_mask) * 64;
      int32_t fd;
      memcpy(&fd, sqe + 4, 4);
      if (sqe[0] == RC_OP_CLOSE && fd >= 0 && (uint32_t)fd < RC_LEDGER_SIZE) r->ledger[fd] = 0;
    }
    if (sqpoll) {
      /* The kernel thread submits; wake it and give it a moment to take them. */
      syscall(__NR_io_uring_enter, r->fd, 0, 0, RC_ENTER_SQ_WAKEUP, NULL, 0);
      for (int i = 0; i < 1000 && __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE) != tail; i++) usleep(1000);
    } else {
      /* The kernel may take fewer than asked (EBUSY/EAGAIN while the CQ is backed up,
       * or a short count): enter again, reaping as it goes, until the SQ is empty. */
      for (int i = 0; i < 64 && __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE) != tail; i++) {
        uint32_t left = tail - __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE);
        long rc = syscall(__NR_io_uring_enter, r->fd, left, 0, RC_ENTER_GETEVENTS, NULL, 0);
        if (rc < 0 && errno != EINTR && errno != EBUSY && errno != EAGAIN) break;
        if (rc <= 0) {
          syscall(__NR_io_uring_enter, r->fd, 0, 0, RC_ENTER_GETEVENTS, NULL, 0); /* flush overflow */
          uint32_t got = drain_cq(r);
          reaped_early += got;
          if (got == 0 && rc < 0) usleep(1000);
        }
      }
    }
  }
  struct rc_sync_cancel_reg reg;
  memset(&reg, 0, sizeof reg);
  reg.fd = -1;
  reg.flags = RC_CANCEL_ANY | RC_CANCEL_ALL;
  reg.tv_sec = 1;
  for (int i = 0; i < 3; i++) {
    long rc = syscall(__NR_io_uring_register, r->fd, RC_REGISTER_SYNC_CANCEL, &reg, 1);
    if (rc < 0 && errno == EINTR) continue;
    break;
  }
  int32_t remaining = __atomic_load_n(&r->shared[0], __ATOMIC_ACQUIRE) - (int32_t)reaped_early;
  int64_t deadline = now_ms() + 5000;
  for (;;) {
    remaining -= (int32_t)drain_cq(r);
    if (remaining <= 0 || now_ms() > deadline) break;
    /* Wait for more (GETEVENTS also flushes overflowed CQEs and runs deferred task
     * work), at most 100 ms at a time. */
    struct rc_timespec ts = {0, 100 * 1000 * 1000};
    struct rc_getevents_arg ga;
    memset(&ga, 0, sizeof ga);
    ga.ts = (uint64_t)(uintptr_t)&ts;
    long rc = syscall(__NR_io_uring_enter, r->fd, 0, 1, RC_ENTER_GETEVENTS | RC_ENTER_EXT_ARG, &ga, sizeof ga);
    if (rc < 0 && errno != EINTR && errno != ETIME && errno != EAGAIN && errno != EBUSY) {
      /* No EXT_ARG (before 5.11): one more cancel pass and a short sleep. */
      syscall(__NR_io_uring_register, r->fd, RC_REGISTER_SYNC_CANCEL, &reg, 1);
      usleep(1000);
    }
  }
  for (int pass = 0; pass < 64 && (__atomic_load_n(r->sq_flags, __ATOMIC_ACQUIRE) & RC_SQ_CQ_OVERFLOW); pass++) {
    syscall(__NR_io_uring_enter, r->fd, 0, 0, RC_ENTER_GETEVENTS, NULL, 0);
    drain_cq(r);
  }
  ring_unmap(r);
}

static void ring_finalize(napi_env env, void *data, void *hint) {
  rc_ring *r = data;
  /* The handle is collected only with its Ring, and an open Ring is kept alive by
   * its wake-up watcher (which references it): so a ring reaching this point was
   * closed — unmapped by Close() — and only the bookkeeping is left to free. */
  if (r->waker) waker_stop(r->waker); /* (never running by now: Close stopped it) */
  if (r->hooked) {
    napi_remove_env_cleanup_hook(env, ring_cleanup, r);
    r->hooked = 0;
  }
  for (int i = 0; i < 3; i++)
    if (r->bufs[i]) napi_delete_reference(env, r->bufs[i]);
  free(r);
}

static napi_value external_ab(napi_env env, void *p, size_t n) {
  napi_value ab;
  if (napi_create_external_arraybuffer(env, p, n, NULL, NULL, &ab) != napi_ok) return NULL;
  return ab;
}

/* setup(entries, flags, cqEntries, sqThreadIdle, sqThreadCpu, wqFd)
 *   -> { handle, fd, sqEntries, cqEntries, flags, features, sqOff{}, cqOff{},
 *        sqRing, cqRing, sqes }   or a negative errno number. */
static napi_value Setup(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  struct rc_params p;
  memset(&p, 0, sizeof p);
  uint32_t entries = (uint32_t)arg_i64(env, argv[0]);
  p.flags = (uint32_t)arg_i64(env, argv[1]);
  p.cq_entries = (uint32_t)arg_i64(env, argv[2]);
  p.sq_thread_idle = (uint32_t)arg_i64(env, argv[3]);
  p.sq_thread_cpu = (uint32_t)arg_i64(env, argv[4]);
  p.wq_fd = (uint32_t)arg_i64(env, argv[5]);

  int fd = (int)syscall(__NR_io_uring_setup, entries, &p);
  if (fd < 0) return num(env, -errno);

  size_t cqe_sz = (p.flags & RC_SETUP_CQE32) ? 32 : 16;
  size_t sqe_sz = (p.flags & RC_SETUP_SQE128) ? 128 : 64;
  size_t sq_sz = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
  if (p.flags & RC_SETUP_NO_SQARRAY) sq_sz = p.sq_off.flags + sizeof(uint32_t);
  size_t cq_sz = p.cq_off.cqes + p.cq_entries * cqe_sz;
  int single = (p.features & RC_FEAT_SINGLE_MMAP) != 0;
  if (single) {
    if (cq_sz > sq_sz) sq_sz = cq_sz;
    cq_sz = sq_sz;
  }
  /* MAP_POPULATE: fault the pages in now rather than on the first SQE. */
  void *sq = mmap(NULL, sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                  RC_OFF_SQ_RING);
  if (sq == MAP_FAILED) {
    int e = errno;
    close(fd);
    return num(env, -e);
  }
  void *cq = sq;
  if (!single) {
    cq = mmap(NULL, cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
              RC_OFF_CQ_RING);
    if (cq == MAP_FAILED) {
      int e = errno;
      munmap(sq, sq_sz);
      close(fd);
      return num(env, -e);
    }
  }
  size_t sqes_sz = p.sq_entries * sqe_sz;
  void *sqes = mmap(NULL, sqes_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                    RC_OFF_SQES);
  if (sqes == MAP_FAILED) {
    int e = errno;
    munmap(sq, sq_sz);
    if (!single) munmap(cq, cq_sz);
    close(fd);
    return num(env, -e);
  }

  rc_ring *r = calloc(1, sizeof *r);
  r->fd = fd;
  r->sq_ring = sq;
  r->sq_ring_sz = sq_sz;
  r->cq_ring = cq;
  r->cq_ring_sz = cq_sz;
  r->sqes = sqes;
  r->sqes_sz = sqes_sz;
  r->env = env;
  r->sq_head = (uint32_t *)((uint8_t *)sq + p.sq_off.head);
  r->sq_tail = (uint32_t *)((uint8_t *)sq + p.sq_off.tail);
  r->sq_flags = (uint32_t *)((uint8_t *)sq + p.sq_off.flags);
  r->cq_head = (uint32_t *)((uint8_t *)cq + p.cq_off.head);
  r->cq_tail = (uint32_t *)((uint8_t *)cq + p.cq_off.tail);
  r->cq_mask = *(uint32_t *)((uint8_t *)cq + p.cq_off.ring_mask);
  r->cqes = (uint8_t *)cq + p.cq_off.cqes;
  r->cqe_size = cqe_sz;
  r->sq_mask = *(uint32_t *)((uint8_t *)sq + p.sq_off.ring_mask);
  r->setup_flags = p.flags;
  rc_ledger *ledger = NULL;
  if (napi_get_instance_data(env, (void **)&ledger) == napi_ok && ledger) r->ledger = ledger->owned;
  if (napi_add_env_cleanup_hook(env, ring_cleanup, r) == napi_ok) r->hooked = 1;

  napi_value out, handle, sqab, cqab, sqesab, so, co;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_external(env, r, ring_finalize, NULL, &handle));
  sqab = external_ab(env, sq, sq_sz);
  cqab = single ? sqab : external_ab(env, cq, cq_sz);
  sqesab = external_ab(env, sqes, sqes_sz);
  if (!sqab || !cqab || !sqesab) {
    napi_throw_error(env, "ERR_RINGCORE_NAPI", "cannot create external ArrayBuffer");
    return NULL;
  }
  napi_create_reference(env, sqab, 0, &r->bufs[0]);
  if (!single) napi_create_reference(env, cqab, 0, &r->bufs[1]);
  napi_create_reference(env, sqesab, 0, &r->bufs[2]);

  set(env, out, "handle", handle);
  set(env, out, "fd", num(env, fd));
  set(env, out, "sqEntries", num(env, p.sq_entries));
  set(env, out, "cqEntries", num(env, p.cq_entries));
  set(env, out, "flags", num(env, p.flags));
  set(env, out, "features", num(env, p.features));
  CHECK(napi_create_object(env, &so));
  set(env, so, "head", num(env, p.sq_off.head));
  set(env, so, "tail", num(env, p.sq_off.tail));
  set(env, so, "ringMask", num(env, p.sq_off.ring_mask));
  set(env, so, "ringEntries", num(env, p.sq_off.ring_entries));
  set(env, so, "flags", num(env, p.sq_off.flags));
  set(env, so, "dropped", num(env, p.sq_off.dropped));
  set(env, so, "array", num(env, p.sq_off.array));
  CHECK(napi_create_object(env, &co));
  set(env, co, "head", num(env, p.cq_off.head));
  set(env, co, "tail", num(env, p.cq_off.tail));
  set(env, co, "ringMask", num(env, p.cq_off.ring_mask));
  set(env, co, "ringEntries", num(env, p.cq_off.ring_entries));
  set(env, co, "overflow", num(env, p.cq_off.overflow));
  set(env, co, "cqes", num(env, p.cq_off.cqes));
  set(env, co, "flags", num(env, p.cq_off.flags));
  set(env, out, "sqOff", so);
  set(env, out, "cqOff", co);
  set(env, out, "sqRing", sqab);
  set(env, out, "cqRing", cqab);
  set(env, out, "sqes", sqesab);
  napi_value sharedab = external_ab(env, r->shared, sizeof r->shared);
  if (sharedab) set(env, out, "shared", sharedab);
  return out;
}

/* close(handle): detach the ArrayBuffers (JS now sees length 0, never unmapped
 * memory), unmap, close the fd.  Idempotent. Returns 0 or -errno of close(2). */
static napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  rc_ring *r;
  CHECK(napi_get_value_external(env, argv[0], (void **)&r));
  if (r->closed) return num(env, 0);
  r->closed = 1;
  if (r->waker) waker_stop(r->waker); /* (JavaScript stops it first: threadUnwatch) */
  for (int i = 0; i < 3; i++) {
    if (!r->bufs[i]) continue;
    napi_value ab;
    if (napi_get_reference_value(env, r->bufs[i], &ab) == napi_ok && ab)
      napi_detach_arraybuffer(env, ab);
    napi_delete_reference(env, r->bufs[i]);
    r->bufs[i] = NULL;
  }
  if (r->hooked) {
    napi_remove_env_cleanup_hook(env, ring_cleanup, r);
    r->hooked = 0;
  }
  munmap(r->sqes, r->sqes_sz);
  if (r->cq_ring != r->sq_ring) munmap(r->cq_ring, r->cq_ring_sz);
  munmap(r->sq_ring, r->sq_ring_sz);
  int rc = close(r->fd) < 0 ? -errno : 0;
  return num(env, rc);
}

/* enter(fd, toSubmit, minComplete, flags) -> result or -errno.  The hot call: one
 * per event-loop turn.  Per-operation errors never come back here; they are in
 * each CQE's res. */
static napi_value Enter(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd, submit, minc, flags;
  napi_get_value_int32(env, argv[0], &fd);
  napi_get_value_int32(env, argv[1], &submit);
  napi_get_value_int32(env, argv[2], &minc);
  napi_get_value_int32(env, argv[3], &flags);
  long r = syscall(__NR_io_uring_enter, fd, (unsigned)submit, (unsigned)minc,
                   (unsigned)flags, NULL, 0);
  napi_value out;
  napi_create_int32(env, r < 0 ? -errno : (int32_t)r, &out);
  return out;
}

/* Pointer and length of an ArrayBuffer or of a view's bytes (NULL/0 for null). */
static int bytes_of(napi_env env, napi_value v, void **p, size_t *n) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  *p = NULL;
  *n = 0;
  if (t == napi_null || t == napi_undefined) return 0;
  bool is;
  napi_is_arraybuffer(env, v, &is);
  if (is) return napi_get_arraybuffer_info(env, v, p, n) == napi_ok ? 0 : -1;
  napi_is_typedarray(env, v, &is);
  if (is) {
    napi_typedarray_type tt;
    size_t len, off;
    napi_value ab;
    if (napi_get_typedarray_info(env, v, &tt, &len, p, &ab, &off) != napi_ok) return -1;
    size_t es = 1;
    switch (tt) {
      case napi_int16_array: case napi_uint16_array: es = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: es = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: es = 8; break;
      default: es = 1;
    }
    *n = len * es;
    return 0;
  }
  napi_is_dataview(env, v, &is);
  if (is) {
    napi_value ab;
    size_t off;
    return napi_get_dataview_info(env, v, n, p, &ab, &off) == napi_ok ? 0 : -1;
  }
  return -1;
}

/* register(fd, opcode, arg, nrArgs) -> result or -errno.  arg is an ArrayBuffer or
 * view whose bytes the kernel reads (or writes, for PROBE), or null. */
static napi_value Register(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int fd = (int)arg_i64(env, argv[0]);
  unsigned op = (unsigned)arg_i64(env, argv[1]);
  void *p;
  size_t n;
  if (bytes_of(env, argv[2], &p, &n) < 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "register: arg must be an ArrayBuffer, a view or null");
    return NULL;
  }
  unsigned nr = (unsigned)arg_i64(env, argv[3]);
  long r = syscall(__NR_io_uring_register, fd, op, p, nr);
  return num(env, r < 0 ? -errno : (double)r);
}

/* address(arrayBuffer) -> base address as a Number (x86-64 user addresses fit in
 * 47 bits, exact in a double).  Only ArrayBuffers: their backing store never moves.
 * JavaScript materializes a view's buffer (view.buffer) before asking, because
 * small typed arrays can live inside the V8 heap until then. */
static napi_value Address(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool is;
  napi_is_arraybuffer(env, argv[0], &is);
  if (!is) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "address: expected an ArrayBuffer");
    return NULL;
  }
  void *p;
  size_t n;
  CHECK(napi_get_arraybuffer_info(env, argv[0], &p, &n));
  return num(env, (double)(uintptr_t)p);
}

/* ---------------------------------------------------------- wake-ups --- */

/* A uv_poll on one fd.  When the fd is readable, libuv calls on_readable in the
 * poll phase of Node's loop; we call the JavaScript reaper through
 * napi_make_callback so that promise jobs run right after it, as after any I/O
 * callback in Node. */
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref fn;
  napi_async_context actx;
  /* Held from watch() until the uv close callback has run: see watch_cleanup. */
  napi_async_cleanup_hook_handle cleanup;
  int fd;
  int drain; /* an eventfd: read its counter so that it stops being readable */
  int active;
  int referenced;
} rc_watch;

/* libuv calls this once the handle is closed: the last moment the watcher's memory
 * is touched.  Removing the async cleanup hook here is what lets a worker's
 * environment finish tearing down — and unload this addon — only after this code
 * has run (an earlier version closed the handle from a plain cleanup hook, libuv
 * called back after the addon was unloaded with the worker, and the process died
 * with SIGSEGV). */
static void on_closed(uv_handle_t *h) {
  rc_watch *w = h->data;
  napi_async_cleanup_hook_handle c = w->cleanup;
  free(w);
  if (c) napi_remove_async_cleanup_hook(c);
}

/* The thread is going away with the watcher still open (a worker that never closed
 * its ring, or one terminated mid-I/O): a uv handle left open would abort
 * uv_loop_close(), and its close callback must run before the environment is gone.
 * Node waits for on_closed to remove this hook. */
static void watch_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  rc_watch *w = arg;
  if (!w->active) return; /* unwatch() already closed it; on_closed removes the hook */
  w->active = 0;
  uv_poll_stop(&w->poll);
  uv_close((uv_handle_t *)&w->poll, on_closed);
}

static void on_readable(uv_poll_t *h, int status, int events) {
  rc_watch *w = h->data;
  if (w->drain) {
    uint64_t v;
    ssize_t ignored = read(w->fd, &v, sizeof v);
    (void)ignored;
  }
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv, result;
  napi_get_reference_value(env, w->fn, &fn);
  napi_get_global(env, &recv); /* make_callback wants an object receiver */
  napi_value arg;
  napi_create_int32(env, status, &arg);
  napi_status st = napi_make_callback(env, w->actx, recv, fn, 1, &arg, &result);
  if (st == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

static void watch_finalize(napi_env env, void *data, void *hint) {
  /* Nothing: the handle is freed in on_closed after unwatch(). */
}

/* watch(fd, drain, fn) -> handle.  Starts referenced: an active watcher keeps
 * the process alive; JavaScript unrefs it while nothing is in flight. */
static napi_value Watch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  rc_watch *w = calloc(1, sizeof *w);
  w->env = env;
  w->fd = (int)arg_i64(env, argv[0]);
  bool drain;
  napi_get_value_bool(env, argv[1], &drain);
  w->drain = drain;
  CHECK(napi_create_reference(env, argv[2], 1, &w->fn));
  napi_value name;
  napi_create_string_utf8(env, "ringcore:wake", NAPI_AUTO_LENGTH, &name);
  CHECK(napi_async_init(env, NULL, name, &w->actx));
  int e = uv_poll_init(loop, &w->poll, w->fd);
  if (e < 0) {
    napi_throw_error(env, uv_err_name(e), uv_strerror(e));
    return NULL;
  }
  w->poll.data = w;
  uv_poll_start(&w->poll, UV_READABLE, on_readable);
  w->active = 1;
  w->referenced = 1;
  if (napi_add_async_cleanup_hook(env, watch_cleanup, w, &w->cleanup) != napi_ok) w->cleanup = NULL;
  napi_value h;
  CHECK(napi_create_external(env, w, watch_finalize, NULL, &h));
  return h;
}

static rc_watch *watch_arg(napi_env env, napi_callback_info info, napi_value *extra) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  rc_watch *w;
  if (napi_get_value_external(env, argv[0], (void **)&w) != napi_ok) return NULL;
  if (extra) *extra = argv[1];
  return w;
}

/* setRef(handle, bool): keep the process alive (or not) while this watcher is
 * active.  Called only on in-flight 0 <-> >0 transitions seen at a flush. */
static napi_value SetRef(napi_env env, napi_callback_info info) {
  napi_value v;
  rc_watch *w = watch_arg(env, info, &v);
  if (!w || !w->active) return NULL;
  bool on;
  napi_get_value_bool(env, v, &on);
  if (on && !w->referenced) uv_ref((uv_handle_t *)&w->poll);
  if (!on && w->referenced) uv_unref((uv_handle_t *)&w->poll);
  w->referenced = on;
  return NULL;
}

/* unwatch(handle): stop and close the poll handle; the callback is released. */
static napi_value Unwatch(napi_env env, napi_callback_info info) {
  rc_watch *w = watch_arg(env, info, NULL);
  if (!w || !w->active) return NULL;
  w->active = 0; /* the async cleanup hook stays until on_closed */
  uv_poll_stop(&w->poll);
  napi_delete_reference(env, w->fn);
  napi_async_destroy(env, w->actx);
  uv_close((uv_handle_t *)&w->poll, on_closed);
  return NULL;
}

/* -------------------------------------------------- portable wake-ups --- */

/* The same wake-up as watch(), built only from standard Node-API, for runtimes that
 * load Node-API addons without libuv's poll: Bun aborts the process on uv_poll_init,
 * and Deno's uv_poll does not reliably call back.  (On Node, watch() is faster: it is
 * one more fd in the epoll set Node already sleeps in, with no thread hop.)
 *
 *   - JavaScript registers an eventfd with the ring (IORING_REGISTER_EVENTFD): the
 *     kernel adds to its counter whenever it posts a CQE — with DEFER_TASKRUN, when
 *     it queues work that our next enter will turn into CQEs.
 *   - A thread of ours sleeps in poll(2) on that eventfd (to end it, we set `stop`
 *     and add to the counter ourselves: no second fd).  It reads the counter back to 0
 *     (so poll sleeps again) and, unless JavaScript has already reaped every CQE (the
 *     CQ head has caught up with the tail: completions posted inside our own enter, a
 *     NOP, a cached read, are reaped right after it), calls JavaScript through a
 *     napi_threadsafe_function: the runtime queues the call and runs it on the
 *     JavaScript thread from its event loop, microtasks after it, like an I/O
 *     callback.  Nothing is lost: the kernel publishes the CQ tail before it signals,
 *     and the thread reads the eventfd before it compares head and tail.
 *   - Coalesced: `pending` says a call is queued and has not started; the thread
 *     queues another only when it is clear.  The call clears it (an atomic exchange,
 *     pairing with the thread's) *before* JavaScript reaps: a CQE posted after that
 *     point makes a new call, one posted before it is reaped by this one.
 *   - Liveness: napi_ref/unref_threadsafe_function, as uv_ref/uv_unref for watch().
 *   - Lifecycle: the thread is joined (`stop`, pthread_join) by threadUnwatch (ring
 *     close), by an env cleanup hook (a worker that exits or is terminated with the
 *     ring open: the hook runs before the environment — and this addon with it — is
 *     gone, and joining is synchronous, so no code of ours runs on that thread
 *     afterwards), before the ring's memory is unmapped (Close, ring_cleanup: the
 *     thread reads the CQ words), and by the TSFN finalizer (should a runtime tear the
 *     TSFN down first).  Then the TSFN is released with napi_tsfn_abort: a call still
 *     queued is dropped, or arrives and sees `stopped`.
 *   - Memory: three owners — the JavaScript handle (its finalizer), the TSFN (its
 *     finalizer), the hook side (threadUnwatch or the cleanup hook) — all on the
 *     JavaScript thread; the last one frees. */
typedef struct rc_waker {
  napi_env env;
  napi_threadsafe_function tsfn;
  pthread_t thread;
  int efd; /* the eventfd registered with the ring: ours, closed when stopped */
  rc_ring *ring;
  /* The ring's CQ head and tail, or NULL (DEFER_TASKRUN: CQEs appear only in enter). */
  const uint32_t *cq_head, *cq_tail;
  atomic_int pending; /* a call is queued and has not started (thread <-> JS thread) */
  atomic_int stop;    /* set, then the eventfd written: the thread returns */
  /* The JavaScript thread's own: */
  int stopped;  /* the thread is joined, the fds closed */
  int released; /* the hook side is done: the TSFN released (or gone) */
  int hooked;   /* the env cleanup hook is registered */
  int tsfn_gone;
  int refs;
} rc_waker;

static void waker_unref(rc_waker *w) {
  if (--w->refs == 0) free(w);
}

static void *waker_main(void *arg) {
  rc_waker *w = arg;
  /* Fixed for the thread's life: cleared only after it is joined. */
  const uint32_t *cq_head = w->cq_head, *cq_tail = w->cq_tail;
  struct pollfd p = {w->efd, POLLIN, 0};
  for (;;) {
    int n = poll(&p, 1, -1);
    if (atomic_load(&w->stop)) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p.revents & (POLLERR | POLLNVAL)) break;
    if (!(p.revents & POLLIN)) continue;
    uint64_t v;
    if (read(w->efd, &v, sizeof v) < 0 && errno != EAGAIN && errno != EINTR) break;
    if (atomic_load(&w->stop)) break;
    if (cq_head && __atomic_load_n(cq_head, __ATOMIC_ACQUIRE) == __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE))
      continue; /* JavaScript reaped them already */
    if (atomic_exchange(&w->pending, 1) == 0) {
      napi_status st = napi_call_threadsafe_function(w->tsfn, NULL, napi_tsfn_nonblocking);
      if (st != napi_ok) {
        atomic_store(&w->pending, 0);
        if (st == napi_closing) break; /* the runtime is tearing the TSFN down */
      }
    }
  }
  return NULL;
}

static void waker_unlink_ring(struct rc_waker *w) {
  if (w->ring) w->ring->waker = NULL;
  w->ring = NULL;
  w->cq_head = w->cq_tail = NULL;
}

/* Join the thread, close the eventfd, forget the ring.  Idempotent; JavaScript thread. */
static void waker_stop(struct rc_waker *w) {
  if (w->stopped) return;
  w->stopped = 1;
  atomic_store(&w->stop, 1);
  uint64_t one = 1;
  ssize_t ignored = write(w->efd, &one, sizeof one); /* (never blocks: far from the maximum) */
  (void)ignored;
  pthread_join(w->thread, NULL);
  close(w->efd);
  waker_unlink_ring(w);
}

/* On the JavaScript thread, from the runtime's loop: one coalesced wake-up. */
static void waker_call(napi_env env, napi_value fn, void *context, void *data) {
  rc_waker *w = context;
  if (env == NULL || fn == NULL) return; /* the queue is being dropped (teardown) */
  atomic_exchange(&w->pending, 0);       /* before the reap: see above */
  if (w->stopped) return;                /* threadUnwatch ran after this was queued */
  napi_value recv, result;
  napi_get_global(env, &recv);
  napi_status st = napi_call_function(env, recv, fn, 0, NULL, &result);
  if (st == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
}

static void waker_tsfn_finalize(napi_env env, void *data, void *hint) {
  rc_waker *w = data;
  waker_stop(w); /* (normally done already: the thread must not call a TSFN that is gone) */
  w->tsfn_gone = 1;
  waker_unref(w);
}

/* The hook side's end: stop the thread, release the TSFN (the last use of w here). */
static void waker_release(rc_waker *w) {
  waker_stop(w);
  if (w->released) return;
  w->released = 1;
  if (!w->tsfn_gone) napi_release_threadsafe_function(w->tsfn, napi_tsfn_abort);
  waker_unref(w);
}

/* The environment is going away (a worker exiting or terminated, or the process). */
static void waker_cleanup(void *arg) {
  rc_waker *w = arg;
  w->hooked = 0;
  waker_release(w);
}

static void waker_handle_finalize(napi_env env, void *data, void *hint) {
  waker_unref(data);
}

/* threadWatch(eventfd, ringHandle, fn) -> handle.  The eventfd (registered with the
 * ring by JavaScript) belongs to the watcher once this returns (the caller closes it
 * if this throws).  Starts referenced. */
static napi_value ThreadWatch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  rc_waker *w = calloc(1, sizeof *w);
  if (w == NULL) {
    napi_throw_error(env, "ERR_RINGCORE_NAPI", "threadWatch: out of memory");
    return NULL;
  }
  w->env = env;
  w->efd = (int)arg_i64(env, argv[0]);
  rc_ring *r = NULL;
  if (napi_get_value_external(env, argv[1], (void **)&r) != napi_ok || r == NULL || r->closed) {
    free(w);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "threadWatch: expected an open ring's handle");
    return NULL;
  }
  napi_value name;
  napi_create_string_utf8(env, "ringcore:wake", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[2], NULL, name, 0, 1, w, waker_tsfn_finalize, w, waker_call,
                                      &w->tsfn) != napi_ok) {
    free(w);
    napi_throw_error(env, "ERR_RINGCORE_NAPI", "napi_create_threadsafe_function failed");
    return NULL;
  }
  w->refs = 1; /* the TSFN's */
  w->ring = r;
  if (!(r->setup_flags & RC_SETUP_DEFER_TASKRUN)) {
    w->cq_head = r->cq_head;
    w->cq_tail = r->cq_tail;
  }
  /* The thread takes no signals: they are the runtime's (its handlers, and engines
   * that signal their own threads), and poll(2) needs none. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  int e = pthread_create(&w->thread, &attr, waker_main, w);
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (e != 0) {
    w->stopped = w->released = 1;
    w->ring = NULL;
    napi_release_threadsafe_function(w->tsfn, napi_tsfn_abort); /* frees w (finalizer) */
    napi_throw_error(env, "ERR_RINGCORE_NAPI", strerror(e));
    return NULL;
  }
  pthread_setname_np(w->thread, "ringcore-wake");
  r->waker = w;
  /* After the TSFN: hooks run in reverse order of registration, so this one runs
   * before the runtime's own teardown of the TSFN (Node registers one at creation). */
  if (napi_add_env_cleanup_hook(env, waker_cleanup, w) == napi_ok) {
    w->hooked = 1;
    w->refs++;
  } else {
    w->refs++; /* released by threadUnwatch only */
  }
  napi_value h;
  if (napi_create_external(env, w, waker_handle_finalize, NULL, &h) != napi_ok) {
    if (w->hooked) napi_remove_env_cleanup_hook(env, waker_cleanup, w);
    w->hooked = 0;
    w->efd = -1; /* the caller closes it: this call failed */
    waker_release(w);
    napi_throw_error(env, "ERR_RINGCORE_NAPI", "napi_create_external failed");
    return NULL;
  }
  w->refs++;
  return h;
}

/* threadSetRef(handle, bool): keep the process alive (or not) while requests are in
 * flight: napi_ref/unref_threadsafe_function. */
static napi_value ThreadSetRef(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  rc_waker *w;
  if (napi_get_value_external(env, argv[0], (void **)&w) != napi_ok || w == NULL) return NULL;
  if (w->released || w->tsfn_gone) return NULL;
  bool on;
  napi_get_value_bool(env, argv[1], &on);
  if (on) napi_ref_threadsafe_function(env, w->tsfn);
  else napi_unref_threadsafe_function(env, w->tsfn);
  return NULL;
}

/* threadUnwatch(handle): join the thread, close the eventfd, release the TSFN. */
static napi_value ThreadUnwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  rc_waker *w;
  if (napi_get_value_external(env, argv[0], (void **)&w) != napi_ok || w == NULL) return NULL;
  if (w->released) return NULL;
  if (w->hooked) {
    napi_remove_env_cleanup_hook(env, waker_cleanup, w);
    w->hooked = 0;
  }
  waker_release(w);
  return NULL;
}

/* eventfd() -> fd or -errno (non-blocking, close-on-exec). */
static napi_value EventFd(napi_env env, napi_callback_info info) {
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  return num(env, fd < 0 ? -errno : fd);
}

/* closeFd(fd) -> 0 or -errno.  Used for an eventfd; files go through the ring. */
static napi_value CloseFd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int r = close((int)arg_i64(env, argv[0]));
  return num(env, r < 0 ? -errno : 0);
}

/* ----------------------------------------------------------- sockets --- */

/* sockname(fd, peer) -> the raw sockaddr bytes (ArrayBuffer) of getsockname(2), or of
 * getpeername(2) when `peer`; or -errno.  There is no io_uring request for these on
 * the kernels we support (needed for `port: 0` and remoteAddress); called once per
 * listener/stream on demand, never per I/O operation. */
static napi_value SockName(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int fd = (int)arg_i64(env, argv[0]);
  bool peer = false;
  napi_get_value_bool(env, argv[1], &peer);
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int r = peer ? getpeername(fd, (struct sockaddr *)&ss, &len) : getsockname(fd, (struct sockaddr *)&ss, &len);
  if (r < 0) return num(env, -errno);
  void *data;
  napi_value ab;
  CHECK(napi_create_arraybuffer(env, len, &data, &ab));
  memcpy(data, &ss, len);
  return ab;
}

/* socketpair(domain, type) -> [fd0, fd1] or -errno.  No io_uring request makes one. */
static napi_value SocketPair(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int sv[2];
  if (socketpair((int)arg_i64(env, argv[0]), (int)arg_i64(env, argv[1]), 0, sv) < 0) return num(env, -errno);
  napi_value arr;
  CHECK(napi_create_array_with_length(env, 2, &arr));
  napi_set_element(env, arr, 0, num(env, sv[0]));
  napi_set_element(env, arr, 1, num(env, sv[1]));
  return arr;
}

/* pipe(size) -> [readFd, writeFd, capacity] or -errno.  pipe2(O_CLOEXEC), then, if
 * size > 0, F_SETPIPE_SZ to `size`: a refusal (EPERM once the user's pipes passed
 * /proc/sys/fs/pipe-user-pages-soft, EINVAL past pipe-max-size) keeps the default size,
 * and the capacity the pipe really has (F_GETPIPE_SZ) is returned.  For
 * TcpStream.sendFile's file -> pipe -> socket splices (net/pipes.ts keeps them for
 * reuse): once per pipe, never per operation.  IORING_OP_PIPE (6.16) could make the
 * pipe, but no request sets its size, and RingCore runs on kernels from 5.11. */
static napi_value Pipe(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t size = argc > 0 ? arg_i64(env, argv[0]) : 0;
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return num(env, -errno);
  if (size > 0 && size <= INT32_MAX) (void)fcntl(p[1], F_SETPIPE_SZ, (int)size);
  int cap = fcntl(p[1], F_GETPIPE_SZ);
  if (cap < 0) {
    int e = errno;
    close(p[0]);
    close(p[1]);
    return num(env, -e);
  }
  napi_value arr;
  CHECK(napi_create_array_with_length(env, 3, &arr));
  napi_set_element(env, arr, 0, num(env, p[0]));
  napi_set_element(env, arr, 1, num(env, p[1]));
  napi_set_element(env, arr, 2, num(env, cap));
  return arr;
}

/* v8pin.cc */
napi_value rc_address_pinned(napi_env env, napi_callback_info info);
napi_value rc_seal(napi_env env, napi_callback_info info);

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"setup", NULL, Setup, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, Close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"enter", NULL, Enter, NULL, NULL, NULL, napi_enumerable, NULL},
      {"register", NULL, Register, NULL, NULL, NULL, napi_enumerable, NULL},
      {"address", NULL, Address, NULL, NULL, NULL, napi_enumerable, NULL},
      {"addressPinned", NULL, rc_address_pinned, NULL, NULL, NULL, napi_enumerable, NULL},
      {"seal", NULL, rc_seal, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watch", NULL, Watch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setRef", NULL, SetRef, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unwatch", NULL, Unwatch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"threadWatch", NULL, ThreadWatch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"threadSetRef", NULL, ThreadSetRef, NULL, NULL, NULL, napi_enumerable, NULL},
      {"threadUnwatch", NULL, ThreadUnwatch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"eventfd", NULL, EventFd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"closeFd", NULL, CloseFd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fdLedger", NULL, FdLedger, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sockname", NULL, SockName, NULL, NULL, NULL, napi_enumerable, NULL},
      {"socketpair", NULL, SocketPair, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pipe", NULL, Pipe, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
