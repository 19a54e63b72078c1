// A RocksDB iterator over one column family (holding RocksDB's implicit snapshot), with optional
// bounds and direction, read in batches packed into one buffer to cut N-API crossings.
#pragma once

#include <napi.h>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pegasus_rocksdb {

struct DbCore;

// Reads up to max_count entries from `it` in its direction, stopping also once the key+value bytes
// read reach max_bytes (at least one entry if any). Appends the bytes to *data (cleared first) and
// writes 2n+1 offsets: key i = [o[2i], o[2i+1]), value i = [o[2i+1], o[2i+2]). *done = the iterator
// is no longer valid. A non-OK iterator status is returned as an error, never as the end.
rocksdb::Status ReadIteratorBatch(rocksdb::Iterator* it, bool reverse, uint32_t max_count,
                                  uint64_t max_bytes, std::string* data,
                                  std::vector<uint32_t>* offsets, bool* done);

// [Buffer data, Uint32Array offsets, boolean done] for JS (addon.ts builds the key/value views).
Napi::Value MakeBatchResult(Napi::Env env, const std::string& data,
                            const std::vector<uint32_t>& offsets, bool done);

class Iterator : public Napi::ObjectWrap<Iterator> {
 public:
  static Napi::Function DefineClass(Napi::Env env);
  // new Iterator(db, { cf, lower?, upper?, reverse? }) — only called by Db::NewIterator.
  explicit Iterator(const Napi::CallbackInfo& info);
  ~Iterator() override;

  // Releases the RocksDB iterator (deferred to the end of an in-flight read). Idempotent.
  void CloseNative();

  // For the async read worker.
  rocksdb::Iterator* raw() const { return it_.get(); }
  bool reverse() const { return reverse_; }
  bool closed() const { return closed_; }
  void EndRead();  // JS thread, when the async read settles

 private:
  bool CheckUsable(Napi::Env env);  // throws if closed or busy
  Napi::Value Seek(const Napi::CallbackInfo& info);
  Napi::Value SeekToStart(const Napi::CallbackInfo& info);
  Napi::Value ReadSync(const Napi::CallbackInfo& info);
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  bool ParseReadArgs(const Napi::CallbackInfo& info, uint32_t* max_count, uint64_t* max_bytes);

  // Declared before it_ so that it_ (which uses the DB) is destroyed first.
  std::shared_ptr<DbCore> core_;
  std::string lower_;
  std::string upper_;
  rocksdb::Slice lower_slice_;
  rocksdb::Slice upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
  bool reverse_ = false;
  bool busy_ = false;    // an async read is in flight
  bool closed_ = true;   // until the constructor succeeds
  bool registered_ = false;
  std::string scratch_;  // reused by readSync
  std::vector<uint32_t> scratch_offsets_;
};

}  // namespace pegasus_rocksdb
