#include "write_batch.h"

#include <cstdint>
#include <string>

#include "common.h"

namespace pegasus_rocksdb {

namespace {

constexpr uint8_t kOpPut = 0;
constexpr uint8_t kOpDelete = 1;

uint32_t ReadU32LE(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{b[0]} | (uint32_t{b[1]} << 8) | (uint32_t{b[2]} << 16) | (uint32_t{b[3]} << 24);
}

rocksdb::Status Bad(size_t offset, const std::string& what) {
  return rocksdb::Status::InvalidArgument("bad write batch at offset " + std::to_string(offset),
                                          what);
}

}  // namespace

rocksdb::Status DecodeWriteBatch(const char* data, size_t length,
                                 const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
                                 rocksdb::WriteBatch* batch) {
  size_t pos = 0;
  while (pos < length) {
    const size_t record = pos;
    if (length - pos < 6) return Bad(record, "truncated record header");
    const auto op = static_cast<uint8_t>(data[pos]);
    const auto cf = static_cast<uint8_t>(data[pos + 1]);
    if (op != kOpPut && op != kOpDelete) return Bad(record, "unknown op " + std::to_string(op));
    if (cf >= kCfCount || cf >= cfs.size()) {
      return Bad(record, "unknown column family " + std::to_string(cf));
    }
    const uint32_t key_len = ReadU32LE(data + pos + 2);
    pos += 6;
    if (length - pos < key_len) return Bad(record, "truncated key");
    const rocksdb::Slice key(data + pos, key_len);
    pos += key_len;
    rocksdb::Status s;
    if (op == kOpPut) {
      if (length - pos < 4) return Bad(record, "truncated value length");
      const uint32_t value_len = ReadU32LE(data + pos);
      pos += 4;
      if (length - pos < value_len) return Bad(record, "truncated value");
      s = batch->Put(cfs[cf], key, rocksdb::Slice(data + pos, value_len));
      pos += value_len;
    } else {
      s = batch->Delete(cfs[cf], key);
    }
    if (!s.ok()) return s;
  }
  return rocksdb::Status::OK();
}

}  // namespace pegasus_rocksdb
