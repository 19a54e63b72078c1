#include "common.h"

#include <cmath>

namespace pegasus_rocksdb {

const char* const kMetaCfName = "pegasus_meta_cf";
const char* const kCodeDbClosed = "DbClosed";
const char* const kCodeIteratorClosed = "IteratorClosed";
const char* const kCodeInvalidArgument = "InvalidArgument";

const char* StatusCodeName(const rocksdb::Status& status) {
  switch (status.code()) {
    case rocksdb::Status::kOk: return "OK";
    case rocksdb::Status::kNotFound: return "NotFound";
    case rocksdb::Status::kCorruption: return "Corruption";
    case rocksdb::Status::kNotSupported: return "NotSupported";
    case rocksdb::Status::kInvalidArgument: return "InvalidArgument";
    case rocksdb::Status::kIOError: return "IOError";
    case rocksdb::Status::kMergeInProgress: return "MergeInProgress";
    case rocksdb::Status::kIncomplete: return "Incomplete";
    case rocksdb::Status::kShutdownInProgress: return "ShutdownInProgress";
    case rocksdb::Status::kTimedOut: return "TimedOut";
    case rocksdb::Status::kAborted: return "Aborted";
    case rocksdb::Status::kBusy: return "Busy";
    case rocksdb::Status::kExpired: return "Expired";
    case rocksdb::Status::kTryAgain: return "TryAgain";
    case rocksdb::Status::kCompactionTooLarge: return "CompactionTooLarge";
    case rocksdb::Status::kColumnFamilyDropped: return "ColumnFamilyDropped";
    default: return "Unknown";
  }
}

Napi::Error CodedError(Napi::Env env, const std::string& message, const char* code) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

Napi::Error StatusError(Napi::Env env, const rocksdb::Status& status) {
  return CodedError(env, status.ToString(), StatusCodeName(status));
}

Napi::Error ArgError(Napi::Env env, const std::string& message) {
  Napi::Error error = Napi::TypeError::New(env, "Invalid argument: " + message);
  error.Set("code", Napi::String::New(env, kCodeInvalidArgument));
  return error;
}

Napi::Value Throw(const Napi::Error& error) {
  Napi::Env env = error.Env();
  error.ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value Rejected(Napi::Env env, const Napi::Error& error) {
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  deferred.Reject(error.Value());
  return deferred.Promise();
}

bool GetBytes(Napi::Value value, const char** data, size_t* length) {
  napi_env env = value.Env();
  bool is_buffer = false;
  if (napi_is_buffer(env, value, &is_buffer) != napi_ok || !is_buffer) return false;
  void* raw = nullptr;
  size_t len = 0;
  if (napi_get_buffer_info(env, value, &raw, &len) != napi_ok) return false;
  *data = len == 0 ? "" : static_cast<const char*>(raw);
  *length = len;
  return true;
}

bool GetInteger(Napi::Value value, int64_t* out) {
  if (!value.IsNumber()) return false;
  double d = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) > 9007199254740991.0) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

bool GetCfIndex(Napi::Value value, int* cf) {
  int64_t v = 0;
  if (!GetInteger(value, &v) || v < 0 || v >= kCfCount) return false;
  *cf = static_cast<int>(v);
  return true;
}

}  // namespace pegasus_rocksdb
