// Pegasus's compaction filter for the default (user data) column family. It must be C++: RocksDB
// calls it on its own background threads.
//
// Modelled on upstream Pegasus's KeyWithTTLCompactionFilter (src/server/key_ttl_compaction_filter.h
// in apache/incubator-pegasus): per record, (1) with a table-level default TTL, back-fill an expire_ts
// on records that have none; (2) drop records whose expire_ts has passed.
#pragma once

#include <rocksdb/compaction_filter.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace pegasus_rocksdb {

// Pegasus time: seconds since 2016-01-01 00:00:00 UTC.
constexpr int64_t kPegasusEpochUnixSeconds = 1451606400;

// Set from JS (db.setCompactionParams) at any time; read atomically by the filters.
struct CompactionParams {
  // -1 = use the system clock; otherwise "now" in Pegasus epoch seconds (tests, simulation).
  std::atomic<int64_t> now_override{-1};
  // 0 = no default TTL; otherwise records without a TTL get expire_ts = now + default_ttl.
  std::atomic<int64_t> default_ttl{0};
  // Later: user-specified compaction rules and partition-hash validation (post-split cleanup)
  // get their parameters here (an immutable snapshot behind an atomic shared_ptr).
};

class PegasusCompactionFilter final : public rocksdb::CompactionFilter {
 public:
  PegasusCompactionFilter(int64_t now_override, int64_t default_ttl)
      : now_override_(now_override), default_ttl_(default_ttl) {}

  Decision FilterV2(int level, const rocksdb::Slice& key, ValueType value_type,
                    const rocksdb::Slice& existing_value, std::string* new_value,
                    std::string* skip_until) const override;

  const char* Name() const override { return "pegasus.KeyWithTTLCompactionFilter"; }

 private:
  int64_t Now() const;

  const int64_t now_override_;
  const int64_t default_ttl_;
};

// One filter per compaction, created with a snapshot of the current parameters.
class PegasusCompactionFilterFactory final : public rocksdb::CompactionFilterFactory {
 public:
  explicit PegasusCompactionFilterFactory(std::shared_ptr<CompactionParams> params)
      : params_(std::move(params)) {}

  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context& context) override;

  const char* Name() const override { return "pegasus.KeyWithTTLCompactionFilterFactory"; }

 private:
  std::shared_ptr<CompactionParams> params_;
};

}  // namespace pegasus_rocksdb
