// Shared helpers: RocksDB status -> JS Error mapping, argument checks, per-environment data.
// Built with NAPI_DISABLE_CPP_EXCEPTIONS: every failure is reported by throwing (sync) or rejecting
// (async) a JS error explicitly; nothing here may crash the process on bad input from JS.
#pragma once

#include <napi.h>
#include <rocksdb/status.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace pegasus_rocksdb {

// Column family indexes used in every call: 0 = default (user data), 1 = pegasus_meta_cf.
constexpr int kCfDefault = 0;
constexpr int kCfMeta = 1;
constexpr int kCfCount = 2;
extern const char* const kMetaCfName;  // "pegasus_meta_cf"

// Error codes that are not RocksDB status codes.
extern const char* const kCodeDbClosed;        // "DbClosed"
extern const char* const kCodeIteratorClosed;  // "IteratorClosed"
extern const char* const kCodeInvalidArgument; // "InvalidArgument" (bad JS arguments)

// Constructors kept per environment (worker threads each have their own).
struct AddonData {
  Napi::FunctionReference db_ctor;
  Napi::FunctionReference iterator_ctor;
};

// RocksDB's name for a status code ("Corruption", "IOError", ...).
const char* StatusCodeName(const rocksdb::Status& status);

// Error whose message is status.ToString() and whose `code` is StatusCodeName(status).
Napi::Error StatusError(Napi::Env env, const rocksdb::Status& status);
// Error with the given message and `code`.
Napi::Error CodedError(Napi::Env env, const std::string& message, const char* code);
// TypeError for a bad argument from JS (code "InvalidArgument").
Napi::Error ArgError(Napi::Env env, const std::string& message);

// Throws `error` in JS and returns undefined (the value a throwing callback returns).
Napi::Value Throw(const Napi::Error& error);
// A promise already rejected with `error` (async entry points never throw synchronously).
Napi::Value Rejected(Napi::Env env, const Napi::Error& error);

// The bytes of a Buffer / Uint8Array (any ArrayBufferView). False if `value` is not one.
bool GetBytes(Napi::Value value, const char** data, size_t* length);
// A column family index (0 or 1). False otherwise.
bool GetCfIndex(Napi::Value value, int* cf);
// An integral number within the safe-integer range. False otherwise.
bool GetInteger(Napi::Value value, int64_t* out);

}  // namespace pegasus_rocksdb
