// Decoding of the write batch buffer built in TypeScript (WriteBatchBuilder in addon.ts): a sequence
// of records
//   u8 op (0 = put, 1 = delete) | u8 cf (0 | 1) | u32 LE key length | key bytes
//   | (put only) u32 LE value length | value bytes
// into one rocksdb::WriteBatch, written atomically.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstddef>
#include <vector>

namespace pegasus_rocksdb {

// Decodes all of data[0, length) into `batch`. The whole buffer is validated: on a bad op, bad column
// family or truncated record it returns InvalidArgument and the caller must not write `batch`.
rocksdb::Status DecodeWriteBatch(const char* data, size_t length,
                                 const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
                                 rocksdb::WriteBatch* batch);

}  // namespace pegasus_rocksdb
