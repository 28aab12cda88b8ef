/*
 * A TCP sink for `npm run bench -- sendfile`: listens on 127.0.0.1 (port 0), prints the
 * port on stdout, and reads every connection until EOF into a 256 KiB buffer it never
 * looks at — a thread per connection, so that the peer measured is the sender only.
 * Exits when stdin closes.
 *
 * May touch: one listening socket, its connections.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static void *drain(void *arg) {
  int fd = (int)(long)arg;
  static __thread char buf[256 * 1024];
  while (read(fd, buf, sizeof buf) > 0) {
  }
  close(fd);
  return NULL;
}

static void *watch_stdin(void *arg) {
  (void)arg;
  char c;
  while (read(0, &c, 1) > 0) {
  }
  exit(0);
}

int main(void) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 128) < 0) {
    perror("sink");
    return 1;
  }
  socklen_t n = sizeof a;
  getsockname(l, (struct sockaddr *)&a, &n);
  printf("%d\n", ntohs(a.sin_port));
  fflush(stdout);
  pthread_t t;
  pthread_create(&t, NULL, watch_stdin, NULL);
  for (;;) {
    int c = accept(l, NULL, NULL);
    if (c < 0) continue;
    pthread_create(&t, NULL, drain, (void *)(long)c);
    pthread_detach(t);
  }
}
