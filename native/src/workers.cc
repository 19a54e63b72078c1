#include "workers.h"

#include <rocksdb/utilities/checkpoint.h>

#include <cstring>
#include <exception>
#include <limits>

#include "common.h"
#include "iterator.h"
#include "write_batch.h"

namespace pegasus_rocksdb {

namespace {

// Runs Run() on the thread pool, then settles a promise on the JS thread. Counted in
// core->pending while in flight (when `counted`), so close() waits for it.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  Napi::Value Start() {
    Napi::Promise promise = deferred_.Promise();
    Queue();
    return promise;
  }

 protected:
  PromiseWorker(Napi::Env env, const char* name, std::shared_ptr<DbCore> core, bool counted)
      : Napi::AsyncWorker(env, name),
        core_(std::move(core)),
        deferred_(Napi::Promise::Deferred::New(env)),
        counted_(counted && core_ != nullptr) {
    if (counted_) core_->AddWork();
  }

  virtual rocksdb::Status Run() = 0;                                       // thread pool
  virtual Napi::Value Result(Napi::Env env) { return env.Undefined(); }  // JS thread, on success
  virtual void Done() {}  // JS thread, first, success or not

  void Settle(Napi::Env env) {
    Done();
    if (!status_.ok()) {
      deferred_.Reject(StatusError(env, status_).Value());
    } else {
      Napi::Value value = Result(env);
      if (env.IsExceptionPending()) deferred_.Reject(env.GetAndClearPendingException().Value());
      else deferred_.Resolve(value);
    }
    if (counted_) core_->ReleaseWork(env);
  }

  std::shared_ptr<DbCore> core_;
  rocksdb::Status status_;
  Napi::Promise::Deferred deferred_;

 private:
  void Execute() override {
    try {
      status_ = Run();
    } catch (const std::exception& e) {
      status_ = rocksdb::Status::Aborted("pegasus_rocksdb: C++ exception", e.what());
    } catch (...) {
      status_ = rocksdb::Status::Aborted("pegasus_rocksdb: C++ exception");
    }
  }
  void OnOK() override { Settle(Env()); }
  // Not used (we never call SetError), but settle rather than leave a promise pending.
  void OnError(const Napi::Error& /*e*/) override { Settle(Env()); }

  bool counted_;
};

const char* const kClosedMessage = "pegasus_rocksdb: the database is closed";

class OpenWorker final : public PromiseWorker {
 public:
  OpenWorker(Napi::Env env, OpenParams params)
      : PromiseWorker(env, "pegasus_rocksdb.open", nullptr, false), params_(std::move(params)) {}

 protected:
  rocksdb::Status Run() override { return OpenRocks(params_, &opened_); }
  Napi::Value Result(Napi::Env env) override {
    AddonData* data = env.GetInstanceData<AddonData>();
    auto external = Napi::External<std::shared_ptr<DbCore>>::New(env, &opened_);
    Napi::Object db = data->db_ctor.New({external});
    if (env.IsExceptionPending()) return env.Undefined();
    opened_.reset();  // the JS object has its own reference now
    return db;
  }

 private:
  OpenParams params_;
  std::shared_ptr<DbCore> opened_;  // if never handed to JS, its destructor closes the DB
};

class WriteWorker final : public PromiseWorker {
 public:
  WriteWorker(Napi::Env env, std::shared_ptr<DbCore> core, Napi::Value batch)
      : PromiseWorker(env, "pegasus_rocksdb.write", std::move(core), true),
        batch_ref_(Napi::Persistent(batch.As<Napi::Object>())) {
    GetBytes(batch, &data_, &length_);
  }

 protected:
  rocksdb::Status Run() override {
    rocksdb::WriteBatch batch(length_ + 32);
    rocksdb::Status s = DecodeWriteBatch(data_, length_, core_->cfs, &batch);
    if (!s.ok()) return s;  // nothing written
    return core_->db->Write(NoWalWriteOptions(), &batch);
  }

 private:
  Napi::ObjectReference batch_ref_;  // keeps the JS buffer (data_) alive while decoding
  const char* data_ = nullptr;
  size_t length_ = 0;
};

class MultiGetWorker final : public PromiseWorker {
 public:
  MultiGetWorker(Napi::Env env, std::shared_ptr<DbCore> core, int cf, std::string keys,
                 std::vector<size_t> key_ends)
      : PromiseWorker(env, "pegasus_rocksdb.multiGet", std::move(core), true),
        cf_(cf),
        keys_(std::move(keys)),
        key_ends_(std::move(key_ends)) {}

 protected:
  rocksdb::Status Run() override {
    const size_t n = key_ends_.size();
    std::vector<rocksdb::Slice> slices;
    slices.reserve(n);
    size_t start = 0;
    for (size_t end : key_ends_) {
      slices.emplace_back(keys_.data() + start, end - start);
      start = end;
    }
    std::vector<rocksdb::PinnableSlice> values(n);
    std::vector<rocksdb::Status> statuses(n);
    if (n > 0) {
      core_->db->MultiGet(rocksdb::ReadOptions(), core_->cfs[cf_], n, slices.data(),
                          values.data(), statuses.data(), false);
    }
    // Pack the values: offsets[2i], offsets[2i+1] = [start, end) of value i, or kMissing twice.
    size_t total = 0;
    for (size_t i = 0; i < n; ++i) {
      if (statuses[i].ok()) total += values[i].size();
      else if (!statuses[i].IsNotFound()) return statuses[i];
    }
    if (total > std::numeric_limits<uint32_t>::max() - 1) {
      return rocksdb::Status::NotSupported("multiGet result larger than 4 GiB");
    }
    data_.reserve(total);
    offsets_.resize(2 * n);
    for (size_t i = 0; i < n; ++i) {
      if (statuses[i].ok()) {
        offsets_[2 * i] = static_cast<uint32_t>(data_.size());
        data_.append(values[i].data(), values[i].size());
        offsets_[2 * i + 1] = static_cast<uint32_t>(data_.size());
      } else {
        offsets_[2 * i] = offsets_[2 * i + 1] = std::numeric_limits<uint32_t>::max();
      }
    }
    return rocksdb::Status::OK();
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Buffer<char> buffer = Napi::Buffer<char>::Copy(env, data_.data(), data_.size());
    if (env.IsExceptionPending()) return env.Undefined();
    Napi::Uint32Array offsets = Napi::Uint32Array::New(env, offsets_.size());
    if (env.IsExceptionPending()) return env.Undefined();
    if (!offsets_.empty()) {
      std::memcpy(offsets.Data(), offsets_.data(), offsets_.size() * sizeof(uint32_t));
    }
    Napi::Array result = Napi::Array::New(env, 2);
    result.Set(uint32_t{0}, buffer);
    result.Set(uint32_t{1}, offsets);
    return result;
  }

 private:
  int cf_;
  std::string keys_;
  std::vector<size_t> key_ends_;
  std::string data_;
  std::vector<uint32_t> offsets_;
};

class FlushWorker final : public PromiseWorker {
 public:
  FlushWorker(Napi::Env env, std::shared_ptr<DbCore> core)
      : PromiseWorker(env, "pegasus_rocksdb.flush", std::move(core), true) {}

 protected:
  rocksdb::Status Run() override {
    rocksdb::FlushOptions options;
    options.wait = true;
    // All column families at once (atomic_flush is on).
    return core_->db->Flush(options, core_->cfs);
  }
};

class CheckpointWorker final : public PromiseWorker {
 public:
  CheckpointWorker(Napi::Env env, std::shared_ptr<DbCore> core, std::string dir)
      : PromiseWorker(env, "pegasus_rocksdb.checkpoint", std::move(core), true),
        dir_(std::move(dir)) {}

 protected:
  rocksdb::Status Run() override {
    rocksdb::Checkpoint* raw = nullptr;
    rocksdb::Status s = rocksdb::Checkpoint::Create(core_->db, &raw);
    if (!s.ok()) return s;
    std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    // log_size_for_flush = UINT64_MAX: never flush; with the WAL disabled the checkpoint holds
    // exactly the flushed state (callers flush first when they want the memtables in it).
    return checkpoint->CreateCheckpoint(dir_, std::numeric_limits<uint64_t>::max());
  }

 private:
  std::string dir_;
};

class CompactRangeWorker final : public PromiseWorker {
 public:
  CompactRangeWorker(Napi::Env env, std::shared_ptr<DbCore> core)
      : PromiseWorker(env, "pegasus_rocksdb.compactRange", std::move(core), true) {}

 protected:
  rocksdb::Status Run() override {
    rocksdb::CompactRangeOptions options;
    // Rewrite the bottommost level too, so the compaction filter sees every record.
    options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    return core_->db->CompactRange(options, core_->cfs[kCfDefault], nullptr, nullptr);
  }
};

class CloseWorker final : public PromiseWorker {
 public:
  CloseWorker(Napi::Env env, std::shared_ptr<DbCore> core)
      : PromiseWorker(env, "pegasus_rocksdb.close", std::move(core), false) {}

 protected:
  // No other work is in flight and every iterator is released (close waited for both).
  rocksdb::Status Run() override { return core_->CloseRocks(); }
  void Done() override {
    core_->state = DbCore::State::kClosed;
    std::vector<Napi::Promise::Deferred> waiters;
    waiters.swap(core_->close_waiters);
    Napi::Env env = Env();
    for (Napi::Promise::Deferred& waiter : waiters) {
      if (status_.ok()) waiter.Resolve(env.Undefined());
      else waiter.Reject(StatusError(env, status_).Value());
    }
  }
};

class IteratorReadWorker final : public PromiseWorker {
 public:
  IteratorReadWorker(Napi::Env env, Iterator* iterator, Napi::Object self,
                     std::shared_ptr<DbCore> core, uint32_t max_count, uint64_t max_bytes)
      : PromiseWorker(env, "pegasus_rocksdb.iteratorRead", std::move(core), true),
        iterator_(iterator),
        self_(Napi::Persistent(self)),
        max_count_(max_count),
        max_bytes_(max_bytes) {}

 protected:
  rocksdb::Status Run() override {
    return ReadIteratorBatch(iterator_->raw(), iterator_->reverse(), max_count_, max_bytes_,
                             &data_, &offsets_, &done_);
  }
  void Done() override {
    closed_during_read_ = iterator_->closed();
    iterator_->EndRead();
  }
  Napi::Value Result(Napi::Env env) override {
    if (closed_during_read_) {
      return Throw(CodedError(env, "pegasus_rocksdb: the iterator was closed during a read",
                              kCodeIteratorClosed));
    }
    return MakeBatchResult(env, data_, offsets_, done_);
  }

 private:
  Iterator* iterator_;
  Napi::ObjectReference self_;  // keeps the iterator alive while reading
  uint32_t max_count_;
  uint64_t max_bytes_;
  std::string data_;
  std::vector<uint32_t> offsets_;
  bool done_ = false;
  bool closed_during_read_ = false;
};

}  // namespace

Napi::Value StartOpen(Napi::Env env, OpenParams params) {
  return (new OpenWorker(env, std::move(params)))->Start();
}

Napi::Value StartWrite(Napi::Env env, std::shared_ptr<DbCore> core, Napi::Value batch) {
  return (new WriteWorker(env, std::move(core), batch))->Start();
}

Napi::Value StartMultiGet(Napi::Env env, std::shared_ptr<DbCore> core, int cf, std::string keys,
                          std::vector<size_t> key_ends) {
  return (new MultiGetWorker(env, std::move(core), cf, std::move(keys), std::move(key_ends)))
      ->Start();
}

Napi::Value StartFlush(Napi::Env env, std::shared_ptr<DbCore> core) {
  return (new FlushWorker(env, std::move(core)))->Start();
}

Napi::Value StartCheckpoint(Napi::Env env, std::shared_ptr<DbCore> core, std::string dir) {
  return (new CheckpointWorker(env, std::move(core), std::move(dir)))->Start();
}

Napi::Value StartCompactRange(Napi::Env env, std::shared_ptr<DbCore> core) {
  return (new CompactRangeWorker(env, std::move(core)))->Start();
}

void StartClose(Napi::Env env, std::shared_ptr<DbCore> core) {
  (new CloseWorker(env, std::move(core)))->Start();
}

Napi::Value StartIteratorRead(Napi::Env env, Iterator* iterator, Napi::Object self,
                              std::shared_ptr<DbCore> core, uint32_t max_count,
                              uint64_t max_bytes) {
  return (new IteratorReadWorker(env, iterator, self, std::move(core), max_count, max_bytes))
      ->Start();
}

}  // namespace pegasus_rocksdb
