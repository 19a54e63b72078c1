# The pegasus-ts native storage addon: a thin node-addon-api layer over the system RocksDB
# (Debian librocksdb-dev 7.8.x). Built by `npm install` / `npm run build:native` (scripts/build-native.mjs).
{
  'targets': [
    {
      'target_name': 'pegasus_rocksdb',
      'sources': [
        'src/addon.cc',
        'src/common.cc',
        'src/compaction_filter.cc',
        'src/db.cc',
        'src/iterator.cc',
        'src/workers.cc',
        'src/write_batch.cc',
      ],
      'include_dirs': [
        "<!(node -p \"require('node-addon-api').include_dir\")",
      ],
      'defines': [
        'NAPI_VERSION=8',
        # We check every N-API call and throw JS errors ourselves; the code itself may still see
        # C++ exceptions from the standard library (bad_alloc), hence -fexceptions below.
        'NAPI_DISABLE_CPP_EXCEPTIONS',
      ],
      # node-gyp's defaults are -fno-rtti -fno-exceptions -std=gnu++17. librocksdb is built with RTTI,
      # and we subclass its CompactionFilter/CompactionFilterFactory, so RTTI must be on.
      'cflags!': ['-fno-exceptions', '-fno-rtti'],
      'cflags_cc!': ['-fno-exceptions', '-fno-rtti', '-std=gnu++17'],
      'cflags_cc': ['-std=c++17', '-fexceptions', '-frtti'],
      'libraries': ['-lrocksdb'],
    },
  ],
}
