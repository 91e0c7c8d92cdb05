/* native/cdn_hot.c: the CDN workers' reused answers, answered without JavaScript per request. */
#ifndef FERRY_CDN_HOT_H
#define FERRY_CDN_HOT_H
#include <node_api.h>

/* Adds hotInit, hotPut, hotRemove, hotClear, hotScope, hotEncoding, hotServe, hotStats to `exports`: 1, or 0 on failure. */
int cdn_hot_register(napi_env env, napi_value exports);

#endif
