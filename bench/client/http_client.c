/*
 * The independent HTTP client of the "100 Seq Requests" and "1000 Stress Requests"
 * benchmarks (bench/http.ts): one binary, the same for every server, so that only
 * the server differs between peers.  C, libc only, one process, one thread.
 *
 *   http_client seq    HOST PORT N                   [TIMEOUT_MS]
 *   http_client stress HOST PORT WORKERS PER_WORKER  [TIMEOUT_MS]
 *
 * Every request is on a NEW TCP connection: connect, write
 * "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", read the reply
 * until EOF, and check that it starts with "HTTP/1.1 200".  Prints one line of JSON
 * on stdout (wall time, failures, latency percentiles, reply sizes); diagnostics of
 * the first few failures go to stderr.  Exit status 0 when it ran (failures are in
 * the JSON), 2 on bad arguments, 1 when it could not start.  TIMEOUT_MS (default
 * 10000) turns a stuck server into failures instead of a hung benchmark: per
 * request in stress, per connect/write/read call in seq (SO_SNDTIMEO/SO_RCVTIMEO).
 * A request that waited for a SYN retransmission (listen queue overflow, 1 s) shows
 * in max_ms and in over_900ms.
 *
 * seq uses plain blocking sockets: one request at a time gains nothing from an
 * event loop, and blocking calls are the fewest system calls per request.
 * stress uses non-blocking sockets and one edge-triggered epoll loop driving all
 * WORKERS state machines (connect -> write -> read to EOF -> next request), not
 * 200 threads: the client shares 2 vCPUs with the server under test, and one
 * thread keeps its own CPU use and scheduling noise as small as possible, so that
 * the figure is the server's.
 *
 * No SO_LINGER.  With "Connection: close" the server closes first, so the server's
 * side of every connection goes through TIME_WAIT (60 s) and the client's side
 * goes CLOSE_WAIT -> (our close after EOF) LAST_ACK -> CLOSED, holding no
 * ephemeral port afterwards.  The server's TIME_WAIT entry (server:port ->
 * client:eport) does not reserve the client's port either, and if a new connect
 * picks the same 4-tuple within 60 s the TIME_WAIT socket accepts the new SYN
 * (its timestamps/sequence numbers are newer).  So ports are not exhausted over
 * many runs.  SO_LINGER {1, 0} would turn our close into an RST that kills the
 * server's socket without TIME_WAIT: it would hide a cost the server really pays
 * and change the server's close path, so it is not used.  (If a request times out
 * and we close first, that one socket's TIME_WAIT is on our side: harmless.)
 *
 * May touch: network connections to HOST:PORT, stdout, stderr.  Nothing else.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static const char REQUEST[] = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
#define REQUEST_LEN (sizeof REQUEST - 1)
static const char OK_PREFIX[] = "HTTP/1.1 200";
#define OK_LEN (sizeof OK_PREFIX - 1)
#define SLOW_MS 900.0 /* a request this slow almost certainly waited for a SYN retry (1 s) */

static struct sockaddr_storage addr;
static socklen_t addrlen;
static int family;
static double timeout_ms = 10000;

/* Failure kinds, counted separately in the JSON. */
enum { F_CONNECT, F_WRITE, F_READ, F_STATUS, F_TIMEOUT, F_KINDS };
static const char *const kind_name[F_KINDS] = { "connect", "write", "read", "status", "timeout" };
static long fails[F_KINDS];
static long total_fails;

static double *lat; /* per-request latency, ms (successful requests only) */
static long nlat;
static long bytes_min = -1, bytes_max = -1;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void fail(int kind, int err, const char *what) {
  fails[kind]++;
  if (total_fails++ < 5) fprintf(stderr, "http_client: %s failed: %s\n", what, err ? strerror(err) : kind == F_STATUS ? "reply is not HTTP/1.1 200" : "unexpected");
}

static void success(double ms, long bytes) {
  lat[nlat++] = ms;
  if (bytes_min < 0 || bytes < bytes_min) bytes_min = bytes;
  if (bytes > bytes_max) bytes_max = bytes;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double pct(double p) {
  if (nlat == 0) return 0;
  long i = (long)(p * (nlat - 1) + 0.5);
  return lat[i];
}

static void report(const char *mode, long requests, double wall, long workers, long per_worker) {
  qsort(lat, nlat, sizeof *lat, cmp_double);
  long slow = 0;
  for (long i = 0; i < nlat; i++) slow += lat[i] >= SLOW_MS;
  printf("{\"mode\":\"%s\",\"requests\":%ld,", mode, requests);
  if (workers > 0) printf("\"workers\":%ld,\"per_worker\":%ld,", workers, per_worker);
  printf("\"ok\":%ld,\"failures\":%ld,\"wall_ms\":%.3f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"over_900ms\":%ld,"
         "\"reply_bytes_min\":%ld,\"reply_bytes_max\":%ld,\"errors\":{",
         nlat, total_fails, wall, pct(0.5), pct(0.99), nlat ? lat[nlat - 1] : 0.0, slow, bytes_min, bytes_max);
  for (int k = 0; k < F_KINDS; k++) printf("%s\"%s\":%ld", k ? "," : "", kind_name[k], fails[k]);
  printf("}}\n");
  fflush(stdout);
}

/* ---- seq: blocking sockets ---------------------------------------------------- */

/* Connect a blocking socket.  A blocking connect that hits SO_SNDTIMEO returns
 * EINPROGRESS: that is our timeout.  On EINTR the connection goes on
 * asynchronously, so wait for it with poll (for the rest of the timeout) and read
 * its outcome from SO_ERROR. */
static int connect_blocking(int fd, double t0) {
  if (connect(fd, (struct sockaddr *)&addr, addrlen) == 0) return 0;
  if (errno == EINPROGRESS) return ETIMEDOUT;
  if (errno != EINTR) return errno;
  struct pollfd p = { .fd = fd, .events = POLLOUT };
  int r;
  do {
    double left = timeout_ms - (now_ms() - t0);
    r = left <= 0 ? 0 : poll(&p, 1, (int)left + 1);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return ETIMEDOUT;
  if (r < 0) return errno;
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return errno;
  return err;
}

static void one_blocking(void) {
  double t0 = now_ms();
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) { fail(F_CONNECT, errno, "socket"); return; }
  /* Timeouts so that a stuck server makes a failure, not a hung benchmark. */
  struct timeval tv = { .tv_sec = (time_t)(timeout_ms / 1000), .tv_usec = (suseconds_t)((long)timeout_ms % 1000) * 1000 };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int err = connect_blocking(fd, t0);
  if (err) { fail(err == ETIMEDOUT ? F_TIMEOUT : F_CONNECT, err, "connect"); close(fd); return; }
  size_t off = 0;
  while (off < REQUEST_LEN) { /* partial writes and EINTR */
    ssize_t n = send(fd, REQUEST + off, REQUEST_LEN - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) fail(F_TIMEOUT, ETIMEDOUT, "write");
      else fail(F_WRITE, errno, "write");
      close(fd);
      return;
    }
    off += (size_t)n;
  }
  char buf[16384], head[OK_LEN];
  long got = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) fail(F_TIMEOUT, ETIMEDOUT, "read"); /* SO_RCVTIMEO */
      else fail(F_READ, errno, "read");
      close(fd);
      return;
    }
    if (n == 0) break;
    if (got < (long)OK_LEN) memcpy(head + got, buf, (size_t)n < OK_LEN - got ? (size_t)n : OK_LEN - got);
    got += n;
  }
  close(fd);
  if (got < (long)OK_LEN || memcmp(head, OK_PREFIX, OK_LEN) != 0) { fail(F_STATUS, 0, "status"); return; }
  success(now_ms() - t0, got);
}

/* ---- stress: non-blocking sockets, one epoll loop ----------------------------- */

enum { S_IDLE, S_CONNECTING, S_WRITING, S_READING };
struct worker {
  int fd, state;
  long left;   /* requests still to start */
  size_t sent; /* request bytes written */
  long got;    /* reply bytes read */
  char head[OK_LEN];
  double t0;
};
static struct worker *w;
static int ep;
static long active;

static void finish(struct worker *k) {
  close(k->fd); /* also removes it from the epoll set */
  k->fd = -1;
  k->state = S_IDLE;
  active--;
}

static void step(struct worker *k);

static void start(struct worker *k) {
  if (k->left == 0) return;
  k->left--;
  k->sent = 0;
  k->got = 0;
  k->t0 = now_ms();
  active++;
  k->fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (k->fd < 0) { fail(F_CONNECT, errno, "socket"); active--; k->fd = -1; start(k); return; }
  struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = k };
  if (epoll_ctl(ep, EPOLL_CTL_ADD, k->fd, &ev) < 0) { fail(F_CONNECT, errno, "epoll_ctl"); finish(k); start(k); return; }
  int r;
  do r = connect(k->fd, (struct sockaddr *)&addr, addrlen); while (r < 0 && errno == EINTR);
  if (r < 0 && errno != EINPROGRESS) { fail(F_CONNECT, errno, "connect"); finish(k); start(k); return; }
  k->state = r == 0 ? S_WRITING : S_CONNECTING;
  if (r == 0) step(k);
}

/* Advance one worker as far as it goes without blocking (edge-triggered: every
 * state drains until EAGAIN before waiting for the next edge). */
static void step(struct worker *k) {
  if (k->state == S_CONNECTING) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err) { fail(F_CONNECT, err, "connect"); finish(k); start(k); return; }
    k->state = S_WRITING;
  }
  if (k->state == S_WRITING) {
    while (k->sent < REQUEST_LEN) {
      ssize_t n = send(k->fd, REQUEST + k->sent, REQUEST_LEN - k->sent, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return; /* wait for EPOLLOUT */
        fail(F_WRITE, errno, "write");
        finish(k);
        start(k);
        return;
      }
      k->sent += (size_t)n;
    }
    k->state = S_READING;
  }
  if (k->state == S_READING) {
    char buf[16384];
    for (;;) {
      ssize_t n = read(k->fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return; /* wait for EPOLLIN */
        fail(F_READ, errno, "read");
        finish(k);
        start(k);
        return;
      }
      if (n == 0) break;
      if (k->got < (long)OK_LEN) memcpy(k->head + k->got, buf, (size_t)n < OK_LEN - k->got ? (size_t)n : OK_LEN - k->got);
      k->got += n;
    }
    if (k->got < (long)OK_LEN || memcmp(k->head, OK_PREFIX, OK_LEN) != 0) fail(F_STATUS, 0, "status");
    else success(now_ms() - k->t0, k->got);
    finish(k);
    start(k);
  }
}

static void run_stress(long workers, long per_worker) {
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) { perror("epoll_create1"); exit(1); }
  w = calloc((size_t)workers, sizeof *w);
  struct epoll_event *evs = calloc((size_t)workers, sizeof *evs);
  if (!w || !evs) { perror("calloc"); exit(1); }
  double t0 = now_ms(), last_scan = t0;
  for (long i = 0; i < workers; i++) { w[i].fd = -1; w[i].left = per_worker; }
  for (long i = 0; i < workers; i++) start(&w[i]);
  while (active > 0) {
    int n = epoll_wait(ep, evs, (int)workers, 100);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("epoll_wait");
      exit(1);
    }
    for (int i = 0; i < n; i++) {
      struct worker *k = evs[i].data.ptr;
      /* A worker has one fd, hence at most one event per batch; if step()
       * finished it and started its next connection, the new fd's events come
       * in a later batch. */
      if (k->state != S_IDLE) step(k);
    }
    double t = now_ms();
    if (t - last_scan >= 100) { /* per-request timeouts */
      last_scan = t;
      for (long i = 0; i < workers; i++) {
        if (w[i].state != S_IDLE && t - w[i].t0 > timeout_ms) {
          fail(F_TIMEOUT, ETIMEDOUT, "request");
          finish(&w[i]);
          start(&w[i]);
        }
      }
    }
  }
  report("stress", workers * per_worker, now_ms() - t0, workers, per_worker);
  free(evs);
  close(ep);
}

/* ---- main --------------------------------------------------------------------- */

static long arg_long(const char *s, const char *what) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || v <= 0) {
    fprintf(stderr, "http_client: bad %s '%s'\n", what, s);
    exit(2);
  }
  return v;
}

static void usage(void) {
  fprintf(stderr,
          "usage: http_client seq HOST PORT N [TIMEOUT_MS]\n"
          "       http_client stress HOST PORT WORKERS PER_WORKER [TIMEOUT_MS]\n");
  exit(2);
}

int main(int argc, char **argv) {
  if (argc < 5) usage();
  const char *mode = argv[1];
  int stress = strcmp(mode, "stress") == 0;
  if (!stress && strcmp(mode, "seq") != 0) usage();
  if (argc != (stress ? 6 : 5) && argc != (stress ? 7 : 6)) usage();
  if (argc == (stress ? 7 : 6)) timeout_ms = (double)arg_long(argv[argc - 1], "TIMEOUT_MS");

  struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *res;
  int g = getaddrinfo(argv[2], argv[3], &hints, &res);
  if (g) {
    fprintf(stderr, "http_client: %s:%s: %s\n", argv[2], argv[3], gai_strerror(g));
    return 1;
  }
  memcpy(&addr, res->ai_addr, res->ai_addrlen);
  addrlen = res->ai_addrlen;
  family = res->ai_family;
  freeaddrinfo(res);

  if (stress) {
    long workers = arg_long(argv[4], "WORKERS"), per = arg_long(argv[5], "PER_WORKER");
    lat = calloc((size_t)(workers * per), sizeof *lat);
    if (!lat) { perror("calloc"); return 1; }
    run_stress(workers, per);
  } else {
    long n = arg_long(argv[4], "N");
    lat = calloc((size_t)n, sizeof *lat);
    if (!lat) { perror("calloc"); return 1; }
    double t0 = now_ms();
    for (long i = 0; i < n; i++) one_blocking();
    report("seq", n, now_ms() - t0, 0, 0);
  }
  free(lat);
  return 0;
}
