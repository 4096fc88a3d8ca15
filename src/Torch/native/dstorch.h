// dstorch: the flat C ABI between DiffusionSteering.Torch (C#) and libtorch (ATen + autograd).
//
// Conventions
// * Every entry point returns int32: 0 on success, -1 on failure. On failure the libtorch (or shim) message is kept
//   per thread and read with dst_last_error(). No C++ exception crosses this boundary.
// * A tensor handle is an owned heap `at::Tensor*`; dst_free releases it. The managed side guarantees a handle is
//   never used after it was freed (it checks its own disposed flag before every call).
// * Operators are called by schema name through the dispatcher (boxed calls), so autograd, autocast and every
//   backend (CPU, CUDA) work exactly as they do from PyTorch. Arguments travel as tagged dst_value records.
#pragma once
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DST_EXPORT __attribute__((visibility("default")))

/// Kinds of a tagged value (argument or result of an operator call).
enum dst_kind {
  DST_NONE = 0,         // None / absent optional
  DST_TENSOR = 1,       // ptr = at::Tensor*
  DST_INT = 2,          // i
  DST_DOUBLE = 3,       // d
  DST_BOOL = 4,         // i (0/1)
  DST_INT_LIST = 5,     // ptr = int64_t*, len
  DST_DOUBLE_LIST = 6,  // ptr = double*, len
  DST_TENSOR_LIST = 7,  // ptr = at::Tensor**, len (results: array allocated by the shim, free with dst_free_array)
  DST_OPT_TENSOR_LIST = 8,  // ptr = at::Tensor** with null entries meaning None, len
  DST_STRING = 9,       // ptr = const char* (UTF-8, NUL-terminated)
  DST_DEVICE = 10,      // i = device type (0 cpu, 1 cuda, 2 meta), len = device index (-1 = current)
  DST_GENERATOR = 11,   // ptr = at::Generator*
  DST_DEFAULT = 12,     // use the schema's default value for this argument
  DST_BOOL_LIST = 13,   // ptr = uint8_t*, len
};

typedef struct dst_value {
  int32_t kind;
  int32_t reserved;
  int64_t i;
  double d;
  void* ptr;
  int64_t len;
} dst_value;

typedef void (*dst_deleter)(void* context);

// ---- errors and bookkeeping
DST_EXPORT const char* dst_last_error(void);
DST_EXPORT int64_t dst_live_tensors(void);
DST_EXPORT const char* dst_version(void);

// ---- operators
DST_EXPORT int32_t dst_find_op(const char* name, const char* overload, void** op_out);
DST_EXPORT int32_t dst_op_schema(void* op, char* buffer, int64_t capacity, int64_t* length_out);
DST_EXPORT int32_t dst_call(void* op, const dst_value* args, int32_t nargs, dst_value* results, int32_t capacity,
                            int32_t* nresults_out);
DST_EXPORT void dst_free_array(void* array);

// ---- tensors
DST_EXPORT void dst_free(void* tensor);
DST_EXPORT int32_t dst_clone_handle(void* tensor, void** out);
DST_EXPORT int32_t dst_info(void* tensor, int64_t* ndim, int32_t* dtype, int32_t* device_type, int32_t* device_index,
                            int64_t* numel, int32_t* requires_grad, int32_t* is_leaf);
DST_EXPORT int32_t dst_sizes(void* tensor, int64_t* sizes_out, int64_t capacity);
DST_EXPORT int32_t dst_strides(void* tensor, int64_t* strides_out, int64_t capacity);
DST_EXPORT int32_t dst_data_ptr(void* tensor, void** out);
DST_EXPORT int32_t dst_storage_offset(void* tensor, int64_t* out);
DST_EXPORT int32_t dst_from_blob(void* data, const int64_t* sizes, int32_t ndim, const int64_t* strides,
                                 int32_t dtype, dst_deleter deleter, void* context, void** out);
DST_EXPORT int32_t dst_from_data(const void* data, int64_t nbytes, const int64_t* sizes, int32_t ndim,
                                 int32_t dtype, void** out);
DST_EXPORT int32_t dst_copy_out(void* tensor, void* destination, int64_t nbytes);

// ---- autograd
DST_EXPORT int32_t dst_backward(void* tensor, void* gradient, int32_t retain_graph, int32_t create_graph);
DST_EXPORT int32_t dst_grad(void* tensor, void** out);
DST_EXPORT int32_t dst_set_grad(void* tensor, void* gradient);
DST_EXPORT int32_t dst_set_requires_grad(void* tensor, int32_t requires_grad);
DST_EXPORT int32_t dst_retain_grad(void* tensor);
DST_EXPORT int32_t dst_set_grad_enabled(int32_t enabled, int32_t* previous);

// ---- autocast (device_type 0 cpu, 1 cuda)
DST_EXPORT int32_t dst_autocast_enter(int32_t device_type, int32_t enabled, int32_t dtype, int32_t* prev_enabled,
                                      int32_t* prev_dtype);
DST_EXPORT int32_t dst_autocast_exit(int32_t device_type, int32_t prev_enabled, int32_t prev_dtype);
DST_EXPORT int32_t dst_autocast_state(int32_t device_type, int32_t* enabled, int32_t* dtype);

// ---- runtime
DST_EXPORT int32_t dst_set_num_threads(int32_t n);
DST_EXPORT int32_t dst_get_num_threads(int32_t* out);
DST_EXPORT int32_t dst_cuda_device_count(int32_t* out);
DST_EXPORT int32_t dst_cuda_synchronize(int32_t device_index);

// ---- CPU allocator (cpu_allocator.cpp): large tensors from cached, huge-page-advised blocks
typedef struct dst_cpu_allocator_stats {
  int32_t enabled;           // 0 when DSTORCH_CPU_ALLOCATOR=system kept libtorch's default allocator
  int32_t reserved;
  int64_t mapped_bytes;      // large blocks mapped now (in use + cached)
  int64_t cached_bytes;      // of which free, kept for reuse
  int64_t cache_limit_bytes; // bound on cached_bytes
  int64_t cache_hits;        // large allocations served from the cache
  int64_t cache_misses;      // large allocations that mapped a new block
} dst_cpu_allocator_stats;
DST_EXPORT int32_t dst_cpu_allocator_get_stats(dst_cpu_allocator_stats* out);
DST_EXPORT void dst_cpu_allocator_empty_cache(void);

// ---- random generators
DST_EXPORT int32_t dst_manual_seed(uint64_t seed);
DST_EXPORT int32_t dst_generator_new(int32_t device_type, int32_t device_index, uint64_t seed, void** out);
DST_EXPORT void dst_generator_free(void* generator);
DST_EXPORT int32_t dst_generator_seed(void* generator, uint64_t seed);
DST_EXPORT int32_t dst_generator_initial_seed(void* generator, uint64_t* out);
DST_EXPORT int32_t dst_generator_get_state(void* generator, void** state_tensor_out);
DST_EXPORT int32_t dst_generator_set_state(void* generator, void* state_tensor);

#ifdef __cplusplus
}
#endif
