#include "iterator.h"

#include <cstring>
#include <limits>

#include "common.h"
#include "db.h"
#include "workers.h"

namespace pegasus_rocksdb {

rocksdb::Status ReadIteratorBatch(rocksdb::Iterator* it, bool reverse, uint32_t max_count,
                                  uint64_t max_bytes, std::string* data,
                                  std::vector<uint32_t>* offsets, bool* done) {
  constexpr uint64_t kMaxTotal = std::numeric_limits<uint32_t>::max();
  data->clear();
  offsets->clear();
  offsets->push_back(0);
  uint32_t count = 0;
  uint64_t bytes = 0;
  while (count < max_count && bytes < max_bytes && it->Valid()) {
    const rocksdb::Slice key = it->key();
    const rocksdb::Slice value = it->value();
    const uint64_t size = uint64_t{key.size()} + value.size();
    if (data->size() + size > kMaxTotal) {
      if (count == 0) return rocksdb::Status::NotSupported("iterator entry larger than 4 GiB");
      break;  // offsets are u32: leave it for the next batch
    }
    data->append(key.data(), key.size());
    offsets->push_back(static_cast<uint32_t>(data->size()));
    data->append(value.data(), value.size());
    offsets->push_back(static_cast<uint32_t>(data->size()));
    bytes += size;
    ++count;
    if (reverse) it->Prev();
    else it->Next();
  }
  *done = !it->Valid();
  // Invalid can mean the end or an error (e.g. corruption): an error must not look like the end.
  if (*done) return it->status();
  return rocksdb::Status::OK();
}

Napi::Value MakeBatchResult(Napi::Env env, const std::string& data,
                            const std::vector<uint32_t>& offsets, bool done) {
  Napi::Buffer<char> buffer = Napi::Buffer<char>::Copy(env, data.data(), data.size());
  if (env.IsExceptionPending()) return env.Undefined();
  Napi::Uint32Array offs = Napi::Uint32Array::New(env, offsets.size());
  if (env.IsExceptionPending()) return env.Undefined();
  if (!offsets.empty()) std::memcpy(offs.Data(), offsets.data(), offsets.size() * sizeof(uint32_t));
  Napi::Array result = Napi::Array::New(env, 3);
  result.Set(uint32_t{0}, buffer);
  result.Set(uint32_t{1}, offs);
  result.Set(uint32_t{2}, Napi::Boolean::New(env, done));
  return result;
}

Napi::Function Iterator::DefineClass(Napi::Env env) {
  return ObjectWrap<Iterator>::DefineClass(
      env, "NativeIterator",
      {
          InstanceMethod<&Iterator::Seek>("seek"),
          InstanceMethod<&Iterator::SeekToStart>("seekToStart"),
          InstanceMethod<&Iterator::ReadSync>("readSync"),
          InstanceMethod<&Iterator::Read>("read"),
          InstanceMethod<&Iterator::Close>("close"),
      });
}

Iterator::Iterator(const Napi::CallbackInfo& info) : ObjectWrap<Iterator>(info) {
  Napi::Env env = info.Env();
  AddonData* data = env.GetInstanceData<AddonData>();
  if (info.Length() != 2 || !info[0].IsObject() || !info[1].IsObject()) {
    Throw(CodedError(env, "NativeIterator cannot be constructed directly; use db.iterator()",
                     kCodeInvalidArgument));
    return;
  }
  Napi::Object db_object = info[0].As<Napi::Object>();
  bool is_db = db_object.InstanceOf(data->db_ctor.Value());
  if (env.IsExceptionPending()) return;
  Db* db = is_db ? Db::Unwrap(db_object) : nullptr;
  if (db == nullptr) {
    if (!env.IsExceptionPending()) {
      Throw(CodedError(env, "NativeIterator cannot be constructed directly; use db.iterator()",
                       kCodeInvalidArgument));
    }
    return;
  }
  std::shared_ptr<DbCore> core = db->core();
  if (!core || !core->IsOpen()) {
    Throw(CodedError(env, "pegasus_rocksdb: the database is closed", kCodeDbClosed));
    return;
  }

  Napi::Object options = info[1].As<Napi::Object>();
  Napi::Value cf_value = options.Get("cf");
  if (env.IsExceptionPending()) return;
  int cf = 0;
  if (!GetCfIndex(cf_value, &cf)) {
    Throw(ArgError(env, "iterator options.cf must be 0 or 1"));
    return;
  }
  Napi::Value lower = options.Get("lower");
  if (env.IsExceptionPending()) return;
  Napi::Value upper = options.Get("upper");
  if (env.IsExceptionPending()) return;
  Napi::Value reverse = options.Get("reverse");
  if (env.IsExceptionPending()) return;

  rocksdb::ReadOptions read_options;
  const char* bytes = nullptr;
  size_t length = 0;
  if (!lower.IsUndefined()) {
    if (!GetBytes(lower, &bytes, &length)) {
      Throw(ArgError(env, "iterator options.lower must be a Buffer"));
      return;
    }
    lower_.assign(bytes, length);
    lower_slice_ = rocksdb::Slice(lower_);
    read_options.iterate_lower_bound = &lower_slice_;
  }
  if (!upper.IsUndefined()) {
    if (!GetBytes(upper, &bytes, &length)) {
      Throw(ArgError(env, "iterator options.upper must be a Buffer"));
      return;
    }
    upper_.assign(bytes, length);
    upper_slice_ = rocksdb::Slice(upper_);
    read_options.iterate_upper_bound = &upper_slice_;
  }
  if (!reverse.IsUndefined()) {
    if (!reverse.IsBoolean()) {
      Throw(ArgError(env, "iterator options.reverse must be a boolean"));
      return;
    }
    reverse_ = reverse.As<Napi::Boolean>().Value();
  }

  // The bounds' slices live in this object as long as the RocksDB iterator does.
  it_.reset(core->db->NewIterator(read_options, core->cfs[cf]));
  core_ = std::move(core);
  core_->iterators.insert(this);
  registered_ = true;
  closed_ = false;
}

Iterator::~Iterator() {
  if (registered_ && core_) core_->iterators.erase(this);
  it_.reset();  // before core_ (and with it possibly the DB) goes
}

void Iterator::CloseNative() {
  if (closed_) return;
  closed_ = true;
  if (registered_ && core_) core_->iterators.erase(this);
  registered_ = false;
  if (!busy_) it_.reset();
}

void Iterator::EndRead() {
  busy_ = false;
  if (closed_) it_.reset();
}

bool Iterator::CheckUsable(Napi::Env env) {
  if (closed_) {
    Throw(CodedError(env, "pegasus_rocksdb: the iterator is closed", kCodeIteratorClosed));
    return false;
  }
  if (busy_) {
    Throw(CodedError(env, "Resource busy: an iterator read is in progress", "Busy"));
    return false;
  }
  return true;
}

Napi::Value Iterator::Seek(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckUsable(env)) return env.Undefined();
  const char* key = nullptr;
  size_t length = 0;
  if (!GetBytes(info[0], &key, &length)) return Throw(ArgError(env, "key must be a Buffer"));
  // Forward: first key >= key. Reverse: last key <= key.
  if (reverse_) it_->SeekForPrev(rocksdb::Slice(key, length));
  else it_->Seek(rocksdb::Slice(key, length));
  return env.Undefined();
}

Napi::Value Iterator::SeekToStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckUsable(env)) return env.Undefined();
  if (reverse_) it_->SeekToLast();
  else it_->SeekToFirst();
  return env.Undefined();
}

bool Iterator::ParseReadArgs(const Napi::CallbackInfo& info, uint32_t* max_count,
                             uint64_t* max_bytes) {
  int64_t count = 0;
  int64_t bytes = 0;
  if (!GetInteger(info[0], &count) || count < 1 || count > int64_t{UINT32_MAX}) {
    ArgError(info.Env(), "maxCount must be an integer >= 1").ThrowAsJavaScriptException();
    return false;
  }
  if (!GetInteger(info[1], &bytes) || bytes < 1) {
    ArgError(info.Env(), "maxBytes must be an integer >= 1").ThrowAsJavaScriptException();
    return false;
  }
  *max_count = static_cast<uint32_t>(count);
  *max_bytes = static_cast<uint64_t>(bytes);
  return true;
}

Napi::Value Iterator::ReadSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckUsable(env)) return env.Undefined();
  uint32_t max_count = 0;
  uint64_t max_bytes = 0;
  if (!ParseReadArgs(info, &max_count, &max_bytes)) return env.Undefined();
  bool done = false;
  rocksdb::Status s = ReadIteratorBatch(it_.get(), reverse_, max_count, max_bytes, &scratch_,
                                        &scratch_offsets_, &done);
  if (!s.ok()) return Throw(StatusError(env, s));
  Napi::Value result = MakeBatchResult(env, scratch_, scratch_offsets_, done);
  if (scratch_.capacity() > (1u << 20)) std::string().swap(scratch_);  // don't hoard big batches
  return result;
}

Napi::Value Iterator::Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckUsable(env)) return Rejected(env, env.GetAndClearPendingException());
  uint32_t max_count = 0;
  uint64_t max_bytes = 0;
  if (!ParseReadArgs(info, &max_count, &max_bytes)) {
    return Rejected(env, env.GetAndClearPendingException());
  }
  busy_ = true;
  return StartIteratorRead(env, this, Value(), core_, max_count, max_bytes);
}

Napi::Value Iterator::Close(const Napi::CallbackInfo& info) {
  CloseNative();  // closing twice is a no-op
  return info.Env().Undefined();
}

}  // namespace pegasus_rocksdb
