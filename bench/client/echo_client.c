/*
 * echo_client.c — the independent client of the echo ping-pong benchmark: C, libc,
 * one thread, edge-triggered epoll, so that it costs the machine little and the same
 * for every server.
 *
 *   echo_client HOST PORT CONNECTIONS MSG_BYTES SECONDS
 *
 * Opens CONNECTIONS connections; each sends MSG_BYTES, waits until the same number
 * of bytes came back (verifying them), and sends again, for SECONDS.  Prints JSON:
 * round trips completed, per second, failures.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  int fd;
  size_t sent, got; /* bytes of the current message */
  unsigned char seq;
} conn_t;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: echo_client HOST PORT CONNECTIONS MSG_BYTES SECONDS\n");
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]), n = atoi(argv[3]);
  size_t msg = (size_t)atol(argv[4]);
  double seconds = atof(argv[5]);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, host, &sa.sin_addr);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  conn_t *c = calloc(n, sizeof *c);
  unsigned char *out = malloc(msg), *in = malloc(msg);
  long trips = 0, failures = 0;
  for (int i = 0; i < n; i++) {
    c[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(c[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c[i].fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
      perror("connect");
      return 1;
    }
    /* Blocking connect (loopback answers at once); all I/O after it is MSG_DONTWAIT. */
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
  }
  double end = now() + seconds;
  struct epoll_event evs[256];
  while (now() < end) {
    int k = epoll_wait(ep, evs, 256, 100);
    for (int e = 0; e < k; e++) {
      conn_t *x = &c[evs[e].data.u32];
      for (;;) {
        if (x->sent < msg) {
          memset(out, x->seq, msg);
          ssize_t w = send(x->fd, out + x->sent, msg - x->sent, MSG_DONTWAIT | MSG_NOSIGNAL);
          if (w < 0) {
            if (errno == EAGAIN || errno == EINTR) break;
            failures++;
            break;
          }
          x->sent += (size_t)w;
          continue;
        }
        ssize_t r = recv(x->fd, in, msg - x->got, MSG_DONTWAIT);
        if (r < 0) {
          if (errno == EAGAIN || errno == EINTR) break;
          failures++;
          break;
        }
        if (r == 0) {
          failures++;
          break;
        }
        for (ssize_t j = 0; j < r; j++)
          if (in[j] != x->seq) {
            failures++;
            break;
          }
        x->got += (size_t)r;
        if (x->got == msg) {
          trips++;
          x->sent = x->got = 0;
          x->seq++;
        }
      }
    }
  }
  printf("{\"connections\":%d,\"msgBytes\":%zu,\"seconds\":%.3f,\"roundTrips\":%ld,\"perSecond\":%.1f,\"failures\":%ld}\n",
         n, msg, seconds, trips, trips / seconds, failures);
  return failures ? 1 : 0;
}
