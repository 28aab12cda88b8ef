/*
 * udp_client.c — the independent client of the UDP echo benchmark: C, libc, one
 * thread, epoll, so that it costs the machine little and the same for every server.
 *
 *   udp_client HOST PORT SOCKETS WINDOW MSG_BYTES SECONDS
 *
 * Opens SOCKETS UDP sockets connected to HOST:PORT; each keeps WINDOW datagrams of
 * MSG_BYTES in flight: every echo that comes back (verified: a 4-byte sequence number,
 * then that number's low byte repeated) sends the next one.  UDP may drop: a socket
 * that has heard nothing for 200 ms counts what it had in flight as lost and sends a
 * fresh window.  Prints JSON: echoes received, per second, lost, corrupt.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  int fd;
  uint32_t seq;
  int inflight;
  double last; /* when it last heard an echo (or sent a window) */
} sock_t;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static unsigned char *out;
static size_t msg;

static int send_one(sock_t *s) {
  uint32_t seq = s->seq++;
  memcpy(out, &seq, 4);
  memset(out + 4, seq & 0xff, msg - 4);
  if (send(s->fd, out, msg, MSG_DONTWAIT) < 0) return -1;
  s->inflight++;
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: udp_client HOST PORT SOCKETS WINDOW MSG_BYTES SECONDS\n");
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]), n = atoi(argv[3]), window = atoi(argv[4]);
  msg = (size_t)atol(argv[5]);
  double seconds = atof(argv[6]);
  if (msg < 4) msg = 4;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, host, &sa.sin_addr);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  sock_t *c = calloc(n, sizeof *c);
  out = malloc(msg);
  unsigned char *in = malloc(msg + 1);
  long echoes = 0, lost = 0, corrupt = 0;
  double start = now();
  for (int i = 0; i < n; i++) {
    c[i].fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (connect(c[i].fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
      perror("connect");
      return 1;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
    c[i].last = start;
    for (int w = 0; w < window; w++) send_one(&c[i]);
  }
  double end = start + seconds;
  struct epoll_event evs[256];
  double t = start;
  while (t < end) {
    int k = epoll_wait(ep, evs, 256, 50);
    t = now();
    for (int e = 0; e < k; e++) {
      sock_t *s = &c[evs[e].data.u32];
      for (;;) {
        ssize_t r = recv(s->fd, in, msg + 1, MSG_DONTWAIT);
        if (r < 0) break; /* EAGAIN, or an ICMP error: the timeout below recovers */
        uint32_t seq;
        memcpy(&seq, in, 4);
        int ok = (size_t)r == msg;
        for (size_t j = 4; ok && j < msg; j++) ok = in[j] == (seq & 0xff);
        if (!ok) corrupt++;
        echoes++;
        s->last = t;
        if (s->inflight > 0) s->inflight--;
        send_one(s);
      }
    }
    for (int i = 0; i < n; i++) {
      if (t - c[i].last > 0.2) { /* nothing for 200 ms: the window was lost */
        lost += c[i].inflight;
        c[i].inflight = 0;
        c[i].last = t;
        for (int w = 0; w < window; w++) send_one(&c[i]);
      }
    }
  }
  double took = now() - start;
  printf("{\"echoes\":%ld,\"perSecond\":%.0f,\"lost\":%ld,\"corrupt\":%ld,\"seconds\":%.3f}\n", echoes, echoes / took, lost,
         corrupt, took);
  return 0;
}
