/* The benchmarks' wasm2c baseline: the platform ABI (docs/abi.md) for a
 * module translated by wabt's wasm2c (module name "app"), so the same wasm
 * runs as C compiled by gcc -O2 beside Atoll's own targets. Only the bench
 * compiles this; nothing in Atoll's pipeline needs a C compiler. */
#include "app.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

struct Z_atoll_instance_t { int unused; };
static struct Z_atoll_instance_t host; /* not "atoll": that is libc's atoll() */
static Z_app_instance_t app;
static int g_argc;
static char** g_argv;

static u8* mem(void) { return Z_appZ_memory(&app)->data; }

static u64 now(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (u64)ts.tv_sec * 1000000000u + (u64)ts.tv_nsec;
}

void Z_atollZ_console_write(struct Z_atoll_instance_t* a, u32 p, u32 n) { (void)a; fwrite(mem() + p, 1, n, stdout); }
u64 Z_atollZ_clock_monotonic(struct Z_atoll_instance_t* a) { (void)a; return now(CLOCK_MONOTONIC); }
u64 Z_atollZ_clock_wall(struct Z_atoll_instance_t* a) { (void)a; return now(CLOCK_REALTIME); }
void Z_atollZ_exit(struct Z_atoll_instance_t* a, u32 status) { (void)a; fflush(stdout); exit((int)status); }

void Z_atollZ_abort(struct Z_atoll_instance_t* a, u32 msg, u32 msg_len, u32 file, u32 file_len, u32 line, u32 col) {
  (void)a;
  fflush(stdout);
  fprintf(stderr, "abort: %.*s at %.*s:%u:%u\n", (int)msg_len, (char*)mem() + msg, (int)file_len, (char*)mem() + file, line, col);
  exit(101);
}

void Z_atollZ_random_seed(struct Z_atoll_instance_t* a, u32 p, u32 n) {
  (void)a;
  if (getrandom(mem() + p, n, 0) != (ssize_t)n) memset(mem() + p, 0x5a, n);
}

u32 Z_atollZ_args(struct Z_atoll_instance_t* a, u32 p, u32 cap) {
  (void)a;
  u32 total = 0;
  for (int i = 1; i < g_argc; i++) {
    u32 len = (u32)strlen(g_argv[i]) + 1;
    for (u32 k = 0; k < len; k++) if (total + k < cap) mem()[p + total + k] = (u8)g_argv[i][k];
    total += len;
  }
  return total;
}

u64 Z_atollZ_yield(struct Z_atoll_instance_t* a, u64 deadline) {
  (void)a;
  if (deadline == 0x7fffffffffffffffull) return 0;
  struct timespec ts = { (time_t)(deadline / 1000000000u), (long)(deadline % 1000000000u) };
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
  return 0;
}

int main(int argc, char** argv) {
  g_argc = argc;
  g_argv = argv;
  wasm_rt_init();
  Z_app_init_module();
  Z_app_instantiate(&app, &host);
  Z_appZ__initialize(&app);
  Z_appZ_atoll_init(&app);
  Z_appZ_atoll_run(&app);
  fflush(stdout);
  Z_app_free(&app);
  wasm_rt_free();
  return 0;
}
