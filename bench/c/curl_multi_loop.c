/* curl_multi_loop: the libcurl ceiling for kalm's engine.
 * One multi handle, N easy handles to URL, each re-added when it completes,
 * bodies discarded, no checks, connections reused (no FRESH_CONNECT).
 * Runs for D seconds and prints "requests=<n> seconds=<s>".
 * usage: curl_multi_loop URL [HANDLES=50] [SECONDS=10]
 * build: gcc -O2 -o curl_multi_loop curl_multi_loop.c -lcurl            */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static size_t discard(char *p, size_t size, size_t n, void *ud) {
    (void)p; (void)ud;
    return size * n;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s URL [HANDLES=50] [SECONDS=10]\n", argv[0]);
        return 2;
    }
    const char *url = argv[1];
    int n = argc > 2 ? atoi(argv[2]) : 50;
    double duration = argc > 3 ? atof(argv[3]) : 10.0;
    if (n < 1 || duration <= 0) { fprintf(stderr, "bad HANDLES or SECONDS\n"); return 2; }

    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init();
    CURL **easy = calloc((size_t)n, sizeof *easy);
    for (int i = 0; i < n; i++) {
        easy[i] = curl_easy_init();
        curl_easy_setopt(easy[i], CURLOPT_URL, url);
        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(easy[i], CURLOPT_NOSIGNAL, 1L);
        curl_multi_add_handle(multi, easy[i]);
    }

    long long done = 0, failed = 0;
    int running = 0, left = 0;
    double start = now(), end = start + duration, t;
    while ((t = now()) < end) {
        curl_multi_perform(multi, &running);
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE) continue;
            CURL *e = msg->easy_handle;
            if (msg->data.result != CURLE_OK) failed++;
            curl_multi_remove_handle(multi, e);
            done++;
            curl_multi_add_handle(multi, e);   /* same handle, pooled connection */
        }
        int ms = (int)((end - t) * 1000.0) + 1;
        curl_multi_poll(multi, NULL, 0, ms > 100 ? 100 : ms, NULL);
    }
    double secs = now() - start;
    printf("requests=%lld seconds=%.3f\n", done, secs);
    if (failed) fprintf(stderr, "curl_multi_loop: %lld transfers failed\n", failed);

    for (int i = 0; i < n; i++) { curl_multi_remove_handle(multi, easy[i]); curl_easy_cleanup(easy[i]); }
    free(easy);
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    return 0;
}
