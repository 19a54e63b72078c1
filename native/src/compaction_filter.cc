#include "compaction_filter.h"

#include <ctime>

namespace pegasus_rocksdb {

namespace {

// Pegasus value schema (all data versions): the value starts with expire_ts, a u32 big-endian in
// Pegasus epoch seconds, 0 = no TTL. Version 0: expire_ts | user value. Version 1:
// expire_ts | timetag (u64 BE) | user value. Only the first 4 bytes matter here.
constexpr size_t kExpireTsSize = 4;

uint32_t ReadExpireTs(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

void WriteExpireTs(char* p, uint32_t ts) {
  p[0] = static_cast<char>(ts >> 24);
  p[1] = static_cast<char>(ts >> 16);
  p[2] = static_cast<char>(ts >> 8);
  p[3] = static_cast<char>(ts);
}

}  // namespace

int64_t PegasusCompactionFilter::Now() const {
  if (now_override_ >= 0) return now_override_;
  return static_cast<int64_t>(std::time(nullptr)) - kPegasusEpochUnixSeconds;
}

rocksdb::CompactionFilter::Decision PegasusCompactionFilter::FilterV2(
    int /*level*/, const rocksdb::Slice& /*key*/, ValueType value_type,
    const rocksdb::Slice& existing_value, std::string* new_value,
    std::string* /*skip_until*/) const {
  if (value_type != ValueType::kValue) return Decision::kKeep;
  // Not a Pegasus value: leave it alone.
  if (existing_value.size() < kExpireTsSize) return Decision::kKeep;

  // Later, before the TTL steps (as upstream orders them): user-specified compaction rules
  // (delete / update TTL by key pattern) and partition-hash validation of the key (drop records
  // that belong to the other half after a partition split).

  const int64_t now = Now();
  const uint32_t expire_ts = ReadExpireTs(existing_value.data());

  // (1) Table default TTL: give TTL-less records expire_ts = now + default_ttl.
  if (default_ttl_ > 0 && expire_ts == 0) {
    int64_t ts = now + default_ttl_;
    if (ts > int64_t{UINT32_MAX}) ts = UINT32_MAX;
    if (ts < 1) ts = 1;
    new_value->assign(existing_value.data(), existing_value.size());
    WriteExpireTs(&(*new_value)[0], static_cast<uint32_t>(ts));
    // ts > now, so the record is not expired: keep it with the new value.
    return Decision::kChangeValue;
  }

  // (2) Drop expired records.
  if (expire_ts > 0 && int64_t{expire_ts} <= now) return Decision::kRemove;
  return Decision::kKeep;
}

std::unique_ptr<rocksdb::CompactionFilter> PegasusCompactionFilterFactory::CreateCompactionFilter(
    const rocksdb::CompactionFilter::Context& /*context*/) {
  return std::make_unique<PegasusCompactionFilter>(
      params_->now_override.load(std::memory_order_acquire),
      params_->default_ttl.load(std::memory_order_acquire));
}

}  // namespace pegasus_rocksdb
