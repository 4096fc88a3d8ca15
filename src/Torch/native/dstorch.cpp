// dstorch: implementation of the flat C ABI declared in dstorch.h.
#include "dstorch.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/version.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

namespace {

thread_local std::string last_error;
std::atomic<int64_t> live_tensors{0};

void set_error(const char* message) { last_error = message ? message : "unknown error"; }

// Every entry point runs its body through guard(): any exception becomes -1 plus a per-thread message.
template <typename F>
int32_t guard(F&& body) {
  try {
    body();
    return 0;
  } catch (const c10::Error& e) {
    set_error(e.what_without_backtrace());
  } catch (const std::exception& e) {
    set_error(e.what());
  } catch (...) {
    set_error("unknown C++ exception in libtorch");
  }
  return -1;
}

void* wrap(at::Tensor&& t) {
  live_tensors.fetch_add(1, std::memory_order_relaxed);
  return new at::Tensor(std::move(t));
}

at::Tensor& unwrap(void* handle) {
  if (handle == nullptr) throw std::invalid_argument("null tensor handle");
  return *static_cast<at::Tensor*>(handle);
}

c10::Device to_device(int64_t type, int64_t index) {
  switch (type) {
    case 0: return c10::Device(c10::DeviceType::CPU);
    case 1: return c10::Device(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(index));
    case 2: return c10::Device(c10::DeviceType::Meta);
    default: throw std::invalid_argument("unknown device type code " + std::to_string(type));
  }
}

int32_t device_code(c10::DeviceType type) {
  switch (type) {
    case c10::DeviceType::CPU: return 0;
    case c10::DeviceType::CUDA: return 1;
    case c10::DeviceType::Meta: return 2;
    default: return 99;
  }
}

at::ScalarType to_scalar_type(int32_t code) {
  switch (code) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 11: case 15:
      return static_cast<at::ScalarType>(code);
    default: throw std::invalid_argument("unsupported dtype code " + std::to_string(code));
  }
}

// Converts one tagged argument into the IValue the operator schema expects.
c10::IValue to_ivalue(const dst_value& v, const c10::Argument& arg, const std::string& op_name) {
  const auto& type = arg.type();
  auto expects_float = [&]() {
    auto kind = type->kind();
    if (kind == c10::TypeKind::OptionalType) kind = type->expectRef<c10::OptionalType>().getElementType()->kind();
    return kind == c10::TypeKind::FloatType;
  };
  switch (v.kind) {
    case DST_NONE: return c10::IValue();
    case DST_TENSOR: return c10::IValue(unwrap(v.ptr));
    case DST_INT:
      if (expects_float()) return c10::IValue(static_cast<double>(v.i));
      return c10::IValue(v.i);
    case DST_DOUBLE: return c10::IValue(v.d);
    case DST_BOOL: return c10::IValue(v.i != 0);
    case DST_INT_LIST: {
      const auto* p = static_cast<const int64_t*>(v.ptr);
      return c10::IValue(c10::List<int64_t>(std::vector<int64_t>(p, p + v.len)));
    }
    case DST_DOUBLE_LIST: {
      const auto* p = static_cast<const double*>(v.ptr);
      return c10::IValue(c10::List<double>(std::vector<double>(p, p + v.len)));
    }
    case DST_BOOL_LIST: {
      const auto* p = static_cast<const uint8_t*>(v.ptr);
      c10::List<bool> list;
      for (int64_t k = 0; k < v.len; ++k) list.push_back(p[k] != 0);
      return c10::IValue(list);
    }
    case DST_TENSOR_LIST: {
      auto* const* p = static_cast<void* const*>(v.ptr);
      c10::List<at::Tensor> list;
      list.reserve(v.len);
      for (int64_t k = 0; k < v.len; ++k) list.push_back(unwrap(p[k]));
      return c10::IValue(list);
    }
    case DST_OPT_TENSOR_LIST: {
      auto* const* p = static_cast<void* const*>(v.ptr);
      c10::List<c10::optional<at::Tensor>> list;
      list.reserve(v.len);
      for (int64_t k = 0; k < v.len; ++k) {
        if (p[k] == nullptr) list.push_back(c10::nullopt);
        else list.push_back(unwrap(p[k]));
      }
      return c10::IValue(list);
    }
    case DST_STRING: return c10::IValue(std::string(static_cast<const char*>(v.ptr)));
    case DST_DEVICE: return c10::IValue(to_device(v.i, v.len));
    case DST_GENERATOR:
      if (v.ptr == nullptr) return c10::IValue();
      return c10::IValue(*static_cast<at::Generator*>(v.ptr));
    case DST_DEFAULT: {
      const auto& def = arg.default_value();
      if (!def.has_value())
        throw std::invalid_argument(op_name + ": argument '" + arg.name() + "' has no default value");
      return *def;
    }
    default:
      throw std::invalid_argument(op_name + ": unknown value kind " + std::to_string(v.kind) + " for argument '" +
                                  arg.name() + "'");
  }
}

// Writes one result IValue into a tagged record.
void from_ivalue(c10::IValue&& iv, dst_value& out) {
  std::memset(&out, 0, sizeof(out));
  if (iv.isTensor()) {
    at::Tensor t = std::move(iv).toTensor();
    if (!t.defined()) { out.kind = DST_NONE; return; }
    out.kind = DST_TENSOR;
    out.ptr = wrap(std::move(t));
  } else if (iv.isNone()) {
    out.kind = DST_NONE;
  } else if (iv.isInt()) {
    out.kind = DST_INT;
    out.i = iv.toInt();
  } else if (iv.isDouble()) {
    out.kind = DST_DOUBLE;
    out.d = iv.toDouble();
  } else if (iv.isBool()) {
    out.kind = DST_BOOL;
    out.i = iv.toBool() ? 1 : 0;
  } else if (iv.isTensorList()) {
    auto list = iv.toTensorList();
    auto** array = static_cast<void**>(std::malloc(sizeof(void*) * std::max<size_t>(1, list.size())));
    if (array == nullptr) throw std::bad_alloc();
    for (size_t k = 0; k < list.size(); ++k) array[k] = wrap(list.get(k));
    out.kind = DST_TENSOR_LIST;
    out.ptr = array;
    out.len = static_cast<int64_t>(list.size());
  } else if (iv.isIntList()) {
    auto list = iv.toIntVector();
    auto* array = static_cast<int64_t*>(std::malloc(sizeof(int64_t) * std::max<size_t>(1, list.size())));
    if (array == nullptr) throw std::bad_alloc();
    std::copy(list.begin(), list.end(), array);
    out.kind = DST_INT_LIST;
    out.ptr = array;
    out.len = static_cast<int64_t>(list.size());
  } else {
    throw std::runtime_error(std::string("unsupported result type ") + iv.tagKind());
  }
}

}  // namespace

extern "C" {

const char* dst_last_error(void) { return last_error.c_str(); }
int64_t dst_live_tensors(void) { return live_tensors.load(std::memory_order_relaxed); }
const char* dst_version(void) { return TORCH_VERSION; }

int32_t dst_find_op(const char* name, const char* overload, void** op_out) {
  return guard([&] {
    auto handle = c10::Dispatcher::singleton().findSchemaOrThrow(name, overload ? overload : "");
    *op_out = new c10::OperatorHandle(handle);  // lives for the process, like the dispatcher's own table
  });
}

int32_t dst_op_schema(void* op, char* buffer, int64_t capacity, int64_t* length_out) {
  return guard([&] {
    std::string s = c10::toString(static_cast<c10::OperatorHandle*>(op)->schema());
    *length_out = static_cast<int64_t>(s.size());
    if (buffer != nullptr && capacity > 0) {
      auto n = std::min<int64_t>(capacity - 1, static_cast<int64_t>(s.size()));
      std::memcpy(buffer, s.data(), n);
      buffer[n] = 0;
    }
  });
}

int32_t dst_call(void* op, const dst_value* args, int32_t nargs, dst_value* results, int32_t capacity,
                 int32_t* nresults_out) {
  return guard([&] {
    const auto& handle = *static_cast<c10::OperatorHandle*>(op);
    const auto& schema = handle.schema();
    const auto& arguments = schema.arguments();
    const std::string op_name = schema.name() + (schema.overload_name().empty() ? "" : "." + schema.overload_name());
    if (nargs > static_cast<int32_t>(arguments.size()))
      throw std::invalid_argument(op_name + ": " + std::to_string(nargs) + " arguments given, schema takes " +
                                  std::to_string(arguments.size()));
    torch::jit::Stack stack;
    stack.reserve(arguments.size());
    for (size_t k = 0; k < arguments.size(); ++k) {
      if (k < static_cast<size_t>(nargs)) {
        stack.push_back(to_ivalue(args[k], arguments[k], op_name));
      } else {
        const auto& def = arguments[k].default_value();
        if (!def.has_value())
          throw std::invalid_argument(op_name + ": missing argument '" + arguments[k].name() + "'");
        stack.push_back(*def);
      }
    }
    handle.callBoxed(&stack);
    if (static_cast<int32_t>(stack.size()) > capacity)
      throw std::runtime_error(op_name + ": more results than the caller expected");
    *nresults_out = static_cast<int32_t>(stack.size());
    for (size_t k = 0; k < stack.size(); ++k) from_ivalue(std::move(stack[k]), results[k]);
  });
}

void dst_free_array(void* array) { std::free(array); }

void dst_free(void* tensor) {
  if (tensor == nullptr) return;
  delete static_cast<at::Tensor*>(tensor);
  live_tensors.fetch_sub(1, std::memory_order_relaxed);
}

int32_t dst_clone_handle(void* tensor, void** out) {
  return guard([&] { *out = wrap(at::Tensor(unwrap(tensor))); });
}

int32_t dst_info(void* tensor, int64_t* ndim, int32_t* dtype, int32_t* device_type, int32_t* device_index,
                 int64_t* numel, int32_t* requires_grad, int32_t* is_leaf) {
  return guard([&] {
    const auto& t = unwrap(tensor);
    *ndim = t.dim();
    *dtype = static_cast<int32_t>(t.scalar_type());
    *device_type = device_code(t.device().type());
    *device_index = t.device().has_index() ? t.device().index() : -1;
    *numel = t.numel();
    *requires_grad = t.requires_grad() ? 1 : 0;
    *is_leaf = t.is_leaf() ? 1 : 0;
  });
}

int32_t dst_sizes(void* tensor, int64_t* sizes_out, int64_t capacity) {
  return guard([&] {
    auto sizes = unwrap(tensor).sizes();
    if (static_cast<int64_t>(sizes.size()) > capacity) throw std::invalid_argument("sizes buffer too small");
    std::copy(sizes.begin(), sizes.end(), sizes_out);
  });
}

int32_t dst_strides(void* tensor, int64_t* strides_out, int64_t capacity) {
  return guard([&] {
    auto strides = unwrap(tensor).strides();
    if (static_cast<int64_t>(strides.size()) > capacity) throw std::invalid_argument("strides buffer too small");
    std::copy(strides.begin(), strides.end(), strides_out);
  });
}

int32_t dst_data_ptr(void* tensor, void** out) {
  return guard([&] { *out = unwrap(tensor).data_ptr(); });
}

int32_t dst_storage_offset(void* tensor, int64_t* out) {
  return guard([&] { *out = unwrap(tensor).storage_offset(); });
}

int32_t dst_from_blob(void* data, const int64_t* sizes, int32_t ndim, const int64_t* strides, int32_t dtype,
                      dst_deleter deleter, void* context, void** out) {
  return guard([&] {
    auto options = at::TensorOptions().dtype(to_scalar_type(dtype)).device(c10::kCPU);
    at::IntArrayRef size_ref(sizes, ndim);
    std::function<void(void*)> release = [deleter, context](void*) {
      if (deleter != nullptr) deleter(context);
    };
    at::Tensor t = strides != nullptr ? at::from_blob(data, size_ref, at::IntArrayRef(strides, ndim), release, options)
                                      : at::from_blob(data, size_ref, release, options);
    *out = wrap(std::move(t));
  });
}

int32_t dst_from_data(const void* data, int64_t nbytes, const int64_t* sizes, int32_t ndim, int32_t dtype,
                      void** out) {
  return guard([&] {
    auto options = at::TensorOptions().dtype(to_scalar_type(dtype)).device(c10::kCPU);
    at::Tensor t = at::empty(at::IntArrayRef(sizes, ndim), options);
    if (static_cast<int64_t>(t.nbytes()) != nbytes)
      throw std::invalid_argument("data holds " + std::to_string(nbytes) + " bytes, shape and dtype need " +
                                  std::to_string(t.nbytes()));
    if (nbytes > 0) std::memcpy(t.data_ptr(), data, static_cast<size_t>(nbytes));
    *out = wrap(std::move(t));
  });
}

int32_t dst_copy_out(void* tensor, void* destination, int64_t nbytes) {
  return guard([&] {
    at::Tensor t = unwrap(tensor).detach().to(c10::kCPU).contiguous();
    if (static_cast<int64_t>(t.nbytes()) != nbytes)
      throw std::invalid_argument("destination holds " + std::to_string(nbytes) + " bytes, tensor has " +
                                  std::to_string(t.nbytes()));
    if (nbytes > 0) std::memcpy(destination, t.data_ptr(), static_cast<size_t>(nbytes));
  });
}

int32_t dst_backward(void* tensor, void* gradient, int32_t retain_graph, int32_t create_graph) {
  return guard([&] {
    std::vector<at::Tensor> grads;
    if (gradient != nullptr) grads.push_back(unwrap(gradient));
    torch::autograd::backward({unwrap(tensor)}, grads,
                              retain_graph ? c10::optional<bool>(true) : c10::optional<bool>(create_graph != 0),
                              create_graph != 0);
  });
}

int32_t dst_grad(void* tensor, void** out) {
  return guard([&] {
    at::Tensor g = unwrap(tensor).grad();
    *out = g.defined() ? wrap(std::move(g)) : nullptr;
  });
}

int32_t dst_set_grad(void* tensor, void* gradient) {
  return guard([&] {
    auto& t = unwrap(tensor);
    if (gradient == nullptr) {
      t.mutable_grad().reset();
      return;
    }
    // The checks PyTorch's Python `.grad` setter makes (C++'s mutable_grad() makes none): a mismatched gradient
    // would otherwise be accumulated into silently (dtype) or fail later with an unrelated message (shape).
    const auto& g = unwrap(gradient);
    TORCH_CHECK(!g.is_same(t), "can't assign a tensor as its own grad");
    TORCH_CHECK(g.scalar_type() == t.scalar_type(), "assigned grad has data of a different type: expected ",
                t.scalar_type(), ", got ", g.scalar_type());
    TORCH_CHECK(g.device() == t.device(), "assigned grad has data located on a different device: expected ",
                t.device(), ", got ", g.device());
    TORCH_CHECK(g.sizes() == t.sizes(), "assigned grad has data of a different size: expected ", t.sizes(), ", got ",
                g.sizes());
    t.mutable_grad() = g;
  });
}

int32_t dst_set_requires_grad(void* tensor, int32_t requires_grad) {
  return guard([&] { unwrap(tensor).requires_grad_(requires_grad != 0); });
}

int32_t dst_retain_grad(void* tensor) {
  return guard([&] { unwrap(tensor).retain_grad(); });
}

int32_t dst_set_grad_enabled(int32_t enabled, int32_t* previous) {
  return guard([&] {
    if (previous != nullptr) *previous = c10::GradMode::is_enabled() ? 1 : 0;
    c10::GradMode::set_enabled(enabled != 0);
  });
}

int32_t dst_autocast_enter(int32_t device_type, int32_t enabled, int32_t dtype, int32_t* prev_enabled,
                           int32_t* prev_dtype) {
  return guard([&] {
    auto scalar = to_scalar_type(dtype);
    if (device_type == 0) {
      *prev_enabled = at::autocast::is_cpu_enabled() ? 1 : 0;
      *prev_dtype = static_cast<int32_t>(at::autocast::get_autocast_cpu_dtype());
      at::autocast::set_cpu_enabled(enabled != 0);
      at::autocast::set_autocast_cpu_dtype(scalar);
    } else if (device_type == 1) {
      *prev_enabled = at::autocast::is_enabled() ? 1 : 0;
      *prev_dtype = static_cast<int32_t>(at::autocast::get_autocast_gpu_dtype());
      at::autocast::set_enabled(enabled != 0);
      at::autocast::set_autocast_gpu_dtype(scalar);
    } else {
      throw std::invalid_argument("autocast: unknown device type code " + std::to_string(device_type));
    }
    at::autocast::increment_nesting();
  });
}

int32_t dst_autocast_exit(int32_t device_type, int32_t prev_enabled, int32_t prev_dtype) {
  return guard([&] {
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    if (device_type == 0) {
      at::autocast::set_cpu_enabled(prev_enabled != 0);
      at::autocast::set_autocast_cpu_dtype(to_scalar_type(prev_dtype));
    } else {
      at::autocast::set_enabled(prev_enabled != 0);
      at::autocast::set_autocast_gpu_dtype(to_scalar_type(prev_dtype));
    }
  });
}

int32_t dst_autocast_state(int32_t device_type, int32_t* enabled, int32_t* dtype) {
  return guard([&] {
    if (device_type == 0) {
      *enabled = at::autocast::is_cpu_enabled() ? 1 : 0;
      *dtype = static_cast<int32_t>(at::autocast::get_autocast_cpu_dtype());
    } else if (device_type == 1) {
      *enabled = at::autocast::is_enabled() ? 1 : 0;
      *dtype = static_cast<int32_t>(at::autocast::get_autocast_gpu_dtype());
    } else {
      throw std::invalid_argument("autocast: unknown device type code " + std::to_string(device_type));
    }
  });
}

int32_t dst_set_num_threads(int32_t n) {
  return guard([&] {
    if (n < 1) throw std::invalid_argument("set_num_threads: n must be at least 1, got " + std::to_string(n));
    at::set_num_threads(n);
  });
}

int32_t dst_get_num_threads(int32_t* out) {
  return guard([&] { *out = at::get_num_threads(); });
}

int32_t dst_cuda_device_count(int32_t* out) {
  return guard([&] {
    const auto& hooks = at::detail::getCUDAHooks();
    *out = hooks.hasCUDA() ? hooks.getNumGPUs() : 0;
  });
}

int32_t dst_cuda_synchronize(int32_t device_index) {
  return guard([&] { at::detail::getCUDAHooks().deviceSynchronize(device_index); });
}

int32_t dst_manual_seed(uint64_t seed) {
  return guard([&] {
    {
      auto gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_current_seed(seed);
    }
    const auto& hooks = at::detail::getCUDAHooks();
    if (hooks.hasCUDA()) {
      for (int k = 0; k < hooks.getNumGPUs(); ++k) {
        auto gen = hooks.getDefaultCUDAGenerator(k);
        std::lock_guard<std::mutex> lock(gen.mutex());
        gen.set_current_seed(seed);
      }
    }
  });
}

int32_t dst_generator_new(int32_t device_type, int32_t device_index, uint64_t seed, void** out) {
  return guard([&] {
    at::Generator gen;
    if (device_type == 0) {
      gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    } else if (device_type == 1) {
      const auto& hooks = at::detail::getCUDAHooks();
      if (!hooks.hasCUDA()) throw std::invalid_argument("Generator: CUDA is not available");
      gen = hooks.getDefaultCUDAGenerator(static_cast<c10::DeviceIndex>(device_index)).clone();
      gen.set_current_seed(seed);
    } else {
      throw std::invalid_argument("Generator: unknown device type code " + std::to_string(device_type));
    }
    *out = new at::Generator(std::move(gen));
  });
}

void dst_generator_free(void* generator) { delete static_cast<at::Generator*>(generator); }

int32_t dst_generator_seed(void* generator, uint64_t seed) {
  return guard([&] {
    auto& gen = *static_cast<at::Generator*>(generator);
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_current_seed(seed);
  });
}

int32_t dst_generator_initial_seed(void* generator, uint64_t* out) {
  return guard([&] { *out = static_cast<at::Generator*>(generator)->current_seed(); });
}

int32_t dst_generator_get_state(void* generator, void** state_tensor_out) {
  return guard([&] {
    auto& gen = *static_cast<at::Generator*>(generator);
    std::lock_guard<std::mutex> lock(gen.mutex());
    *state_tensor_out = wrap(gen.get_state());
  });
}

int32_t dst_generator_set_state(void* generator, void* state_tensor) {
  return guard([&] {
    auto& gen = *static_cast<at::Generator*>(generator);
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(unwrap(state_tensor));
  });
}

}  // extern "C"
