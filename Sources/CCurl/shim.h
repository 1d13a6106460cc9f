// Typed wrappers around libcurl's variadic curl_easy_setopt / curl_easy_getinfo /
// curl_multi_setopt, which Swift cannot call directly. CURL_STRICTER gives the
// handles distinct pointer types so a CURLM* is never passed where a CURL* belongs.
#ifndef KALM_CCURL_SHIM_H
#define KALM_CCURL_SHIM_H

#define CURL_STRICTER 1
#include <curl/curl.h>
#include <stdint.h>

typedef size_t (*kalm_curl_data_cb)(char *ptr, size_t size, size_t nmemb, void *userdata);
typedef int (*kalm_curl_xferinfo_cb)(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
                                     curl_off_t ultotal, curl_off_t ulnow);
typedef int (*kalm_curl_seek_cb)(void *userp, curl_off_t offset, int origin);
typedef int (*kalm_curl_socket_cb)(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp);
typedef int (*kalm_curl_timer_cb)(CURLM *multi, long timeout_ms, void *userp);

static inline CURLcode kalm_easy_setopt_long(CURL *h, CURLoption o, long v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode kalm_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode kalm_easy_setopt_string(CURL *h, CURLoption o, const char *v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode kalm_easy_setopt_pointer(CURL *h, CURLoption o, void *v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode kalm_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode kalm_easy_setopt_data_cb(CURL *h, CURLoption o, kalm_curl_data_cb v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode kalm_easy_setopt_seek_cb(CURL *h, kalm_curl_seek_cb v) {
    return curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, v);
}
static inline CURLcode kalm_easy_setopt_xferinfo_cb(CURL *h, kalm_curl_xferinfo_cb v) {
    return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, v);
}

static inline CURLcode kalm_easy_getinfo_long(CURL *h, CURLINFO i, long *v) {
    return curl_easy_getinfo(h, i, v);
}
static inline CURLcode kalm_easy_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) {
    return curl_easy_getinfo(h, i, v);
}
static inline CURLcode kalm_easy_getinfo_pointer(CURL *h, CURLINFO i, void **v) {
    return curl_easy_getinfo(h, i, v);
}
static inline CURLcode kalm_easy_getinfo_string(CURL *h, CURLINFO i, char **v) {
    return curl_easy_getinfo(h, i, v);
}
static inline CURLcode kalm_easy_getinfo_certinfo(CURL *h, struct curl_certinfo **v) {
    return curl_easy_getinfo(h, CURLINFO_CERTINFO, v);
}

static inline CURLMcode kalm_multi_setopt_long(CURLM *m, CURLMoption o, long v) {
    return curl_multi_setopt(m, o, v);
}
static inline CURLMcode kalm_multi_setopt_pointer(CURLM *m, CURLMoption o, void *v) {
    return curl_multi_setopt(m, o, v);
}
static inline CURLMcode kalm_multi_setopt_socket_cb(CURLM *m, kalm_curl_socket_cb v) {
    return curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, v);
}
static inline CURLMcode kalm_multi_setopt_timer_cb(CURLM *m, kalm_curl_timer_cb v) {
    return curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, v);
}

#endif
