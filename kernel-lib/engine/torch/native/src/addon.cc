// Node addon behind the TF.js "torch" backend.
//
// Design: JS holds integer handles into a table of at::Tensor; kernels call ATen operators by schema name
// through the boxed dispatcher (`op` resolves a name once, `call` runs it). Converting JS arguments by the
// operator's own schema keeps this file small: every TF.js kernel is written in TypeScript on top of it,
// so adding a kernel never needs a rebuild.
#include <napi.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <cstring>
#include <malloc.h>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

// ---------------------------------------------------------------------------------------------------------
// Handle table. Handles are small integers so JS can keep them in plain objects; freed slots are reused.
std::vector<at::Tensor> g_tensors;
std::vector<int32_t> g_freeSlots;
size_t g_liveCount = 0;
c10::Device g_device(c10::kCPU);

int32_t storeTensor(at::Tensor tensor) {
  ++g_liveCount;
  if (!g_freeSlots.empty()) {
    int32_t slot = g_freeSlots.back();
    g_freeSlots.pop_back();
    g_tensors[slot] = std::move(tensor);
    return slot;
  }
  g_tensors.push_back(std::move(tensor));
  return static_cast<int32_t>(g_tensors.size() - 1);
}

const at::Tensor& tensorAt(int64_t handle) {
  if (handle < 0 || handle >= static_cast<int64_t>(g_tensors.size()) || !g_tensors[handle].defined()) {
    throw std::runtime_error("torch engine: tensor handle " + std::to_string(handle) +
                             " is not live (disposed twice, or used after dispose)");
  }
  return g_tensors[handle];
}

// ---------------------------------------------------------------------------------------------------------
// dtype codes shared with TypeScript (kernel-lib/engine/torch/native-addon.ts).
at::ScalarType scalarTypeFromCode(int32_t code) {
  switch (code) {
    case 0: return at::kFloat;
    case 1: return at::kInt;
    case 2: return at::kBool;
    case 3: return at::kLong;
    case 4: return at::kByte;
    default: throw std::runtime_error("torch engine: unknown dtype code " + std::to_string(code));
  }
}

// ---------------------------------------------------------------------------------------------------------
// JS value -> IValue, driven by the schema argument's type.
std::vector<int64_t> toIntList(const Napi::Value& value) {
  std::vector<int64_t> result;
  if (value.IsNumber()) {  // PyTorch accepts a bare int where int[1] is declared.
    result.push_back(value.As<Napi::Number>().Int64Value());
    return result;
  }
  Napi::Array array = value.As<Napi::Array>();
  result.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) result.push_back(array.Get(i).As<Napi::Number>().Int64Value());
  return result;
}

c10::IValue toIValue(const Napi::Value& value, const c10::TypePtr& type, const std::string& argumentName) {
  switch (type->kind()) {
    case c10::TypeKind::TensorType:
      return tensorAt(value.As<Napi::Number>().Int64Value());
    case c10::TypeKind::OptionalType:
      if (value.IsNull() || value.IsUndefined()) return c10::IValue();
      return toIValue(value, type->castRaw<c10::OptionalType>()->getElementType(), argumentName);
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType:
    case c10::TypeKind::ScalarTypeType:
    case c10::TypeKind::LayoutType:
    case c10::TypeKind::MemoryFormatType:
      return value.As<Napi::Number>().Int64Value();
    case c10::TypeKind::FloatType:
      return value.As<Napi::Number>().DoubleValue();
    case c10::TypeKind::BoolType:
      return value.ToBoolean().Value();
    case c10::TypeKind::NumberType: {  // Scalar: integral JS numbers stay integral so int tensors stay int.
      if (value.IsBoolean()) return c10::IValue(c10::Scalar(value.As<Napi::Boolean>().Value()));
      double number = value.As<Napi::Number>().DoubleValue();
      if (std::isfinite(number) && number == static_cast<double>(static_cast<int64_t>(number)) &&
          std::fabs(number) < 9.0e15) {
        return c10::IValue(c10::Scalar(static_cast<int64_t>(number)));
      }
      return c10::IValue(c10::Scalar(number));
    }
    case c10::TypeKind::StringType:
      return value.As<Napi::String>().Utf8Value();
    case c10::TypeKind::DeviceObjType:
      return c10::Device(value.As<Napi::String>().Utf8Value());
    case c10::TypeKind::ListType: {
      const c10::TypePtr& element = type->castRaw<c10::ListType>()->getElementType();
      switch (element->kind()) {
        case c10::TypeKind::IntType:
        case c10::TypeKind::SymIntType:
          return toIntList(value);
        case c10::TypeKind::TensorType: {
          Napi::Array array = value.As<Napi::Array>();
          std::vector<at::Tensor> tensors;
          tensors.reserve(array.Length());
          for (uint32_t i = 0; i < array.Length(); ++i) tensors.push_back(tensorAt(array.Get(i).As<Napi::Number>().Int64Value()));
          return c10::List<at::Tensor>(tensors);
        }
        case c10::TypeKind::BoolType: {
          Napi::Array array = value.As<Napi::Array>();
          c10::List<bool> flags;
          for (uint32_t i = 0; i < array.Length(); ++i) flags.push_back(array.Get(i).ToBoolean().Value());
          return flags;
        }
        case c10::TypeKind::FloatType: {
          Napi::Array array = value.As<Napi::Array>();
          std::vector<double> numbers;
          for (uint32_t i = 0; i < array.Length(); ++i) numbers.push_back(array.Get(i).As<Napi::Number>().DoubleValue());
          return c10::List<double>(numbers);
        }
        default:
          break;
      }
      break;
    }
    default:
      break;
  }
  throw std::runtime_error("torch engine: argument '" + argumentName + "' has schema type " + type->str() +
                           ", which the addon cannot convert from JS");
}

// ---------------------------------------------------------------------------------------------------------
// Operator table: resolved once per name so each call skips the string lookup.
std::vector<c10::OperatorHandle> g_operators;

Napi::Value ResolveOperator(const Napi::CallbackInfo& info) {
  std::string name = info[0].As<Napi::String>().Utf8Value();
  std::string overload = info.Length() > 1 ? info[1].As<Napi::String>().Utf8Value() : "";
  auto handle = c10::Dispatcher::singleton().findSchema({name, overload});
  if (!handle.has_value()) {
    throw Napi::Error::New(info.Env(), "torch engine: libtorch has no operator " + name +
                                           (overload.empty() ? "" : "." + overload));
  }
  g_operators.push_back(*handle);
  return Napi::Number::New(info.Env(), static_cast<double>(g_operators.size() - 1));
}

Napi::Value ivalueToJs(Napi::Env env, c10::IValue& value) {
  if (value.isTensor()) {
    // Masked-out results (e.g. convolution_backward's unrequested gradients) come back undefined.
    if (!value.toTensor().defined()) return env.Null();
    return Napi::Number::New(env, storeTensor(std::move(value).toTensor()));
  }
  if (value.isTensorList()) {
    auto list = value.toTensorList();
    Napi::Array array = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) array.Set(static_cast<uint32_t>(i), Napi::Number::New(env, storeTensor(list.get(i))));
    return array;
  }
  if (value.isTuple()) {
    auto& elements = value.toTupleRef().elements();
    Napi::Array array = Napi::Array::New(env, elements.size());
    for (size_t i = 0; i < elements.size(); ++i) {
      c10::IValue element = elements[i];
      array.Set(static_cast<uint32_t>(i), ivalueToJs(env, element));
    }
    return array;
  }
  if (value.isInt()) return Napi::Number::New(env, static_cast<double>(value.toInt()));
  if (value.isDouble()) return Napi::Number::New(env, value.toDouble());
  if (value.isBool()) return Napi::Boolean::New(env, value.toBool());
  if (value.isNone()) return env.Null();
  throw std::runtime_error("torch engine: cannot return a value of type " + value.tagKind() + " to JS");
}

// call(operatorIndex, args[]) -> handle | number | array (several returns)
Napi::Value CallOperator(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t index = static_cast<size_t>(info[0].As<Napi::Number>().Int64Value());
  Napi::Array args = info[1].As<Napi::Array>();
  const c10::OperatorHandle& op = g_operators.at(index);
  const c10::FunctionSchema& schema = op.schema();
  const auto& arguments = schema.arguments();
  try {
    torch::jit::Stack stack;
    stack.reserve(arguments.size());
    for (size_t i = 0; i < arguments.size(); ++i) {
      if (i < args.Length() && !args.Get(static_cast<uint32_t>(i)).IsUndefined()) {
        stack.push_back(toIValue(args.Get(static_cast<uint32_t>(i)), arguments[i].type(), arguments[i].name()));
      } else if (arguments[i].default_value().has_value()) {
        stack.push_back(*arguments[i].default_value());
      } else {
        throw std::runtime_error("missing argument '" + arguments[i].name() + "'");
      }
    }
    op.callBoxed(&stack);
    if (stack.size() == 1) return ivalueToJs(env, stack[0]);
    Napi::Array results = Napi::Array::New(env, stack.size());
    for (size_t i = 0; i < stack.size(); ++i) results.Set(static_cast<uint32_t>(i), ivalueToJs(env, stack[i]));
    return results;
  } catch (const std::exception& error) {
    // ATen messages carry a C++ backtrace after the first line; the first line is what helps.
    std::string message = error.what();
    size_t cut = message.find("\nException raised from");
    if (cut != std::string::npos) message = message.substr(0, cut);
    throw Napi::Error::New(env, "torch engine: " + schema.name() +
                                    (schema.overload_name().empty() ? "" : "." + schema.overload_name()) + ": " + message);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Data in and out.

// fromBuffer(typedArray, shape[], dtypeCode) -> handle. Copies: JS may reuse or detach its buffer.
Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
  Napi::TypedArray array = info[0].As<Napi::TypedArray>();
  std::vector<int64_t> shape = toIntList(info[1]);
  at::ScalarType dtype = scalarTypeFromCode(info[2].As<Napi::Number>().Int32Value());
  at::Tensor tensor = at::empty(shape, at::TensorOptions().dtype(dtype));
  size_t bytes = tensor.numel() * tensor.element_size();
  if (bytes != array.ByteLength()) {
    throw Napi::Error::New(info.Env(), "torch engine: buffer of " + std::to_string(array.ByteLength()) +
                                           " bytes does not match shape/dtype (" + std::to_string(bytes) + " bytes)");
  }
  if (bytes > 0) {
    const uint8_t* source = static_cast<const uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
    std::memcpy(tensor.data_ptr(), source, bytes);
  }
  if (g_device.type() != c10::kCPU) tensor = tensor.to(g_device);
  return Napi::Number::New(info.Env(), storeTensor(std::move(tensor)));
}

// toBuffer(handle, dtypeCode) -> ArrayBuffer holding the tensor's values, C-contiguous, in that dtype.
Napi::Value ToBuffer(const Napi::CallbackInfo& info) {
  at::Tensor tensor = tensorAt(info[0].As<Napi::Number>().Int64Value());
  at::ScalarType dtype = scalarTypeFromCode(info[1].As<Napi::Number>().Int32Value());
  tensor = tensor.to(at::kCPU, dtype).contiguous();
  size_t bytes = tensor.numel() * tensor.element_size();
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(info.Env(), bytes);
  if (bytes > 0) std::memcpy(buffer.Data(), tensor.data_ptr(), bytes);
  return buffer;
}

// ---------------------------------------------------------------------------------------------------------
// Staging buffers: CPU tensor memory that JS fills in place (a DataLoader's batch) and then turns into a
// tensor without copying it (adoptStaging makes a view of the same storage). Keyed by data pointer: an
// entry lives as long as its ArrayBuffer (the finalizer drops it), the memory as long as any tensor uses it.
std::unordered_map<const void*, at::Tensor> g_staging;

const at::Tensor& stagingTensorOf(const Napi::Value& value, const char* caller) {
  if (!value.IsArrayBuffer()) throw std::runtime_error(std::string("torch engine: ") + caller + " takes the ArrayBuffer stagingBuffer returned");
  auto found = g_staging.find(value.As<Napi::ArrayBuffer>().Data());
  if (found == g_staging.end()) throw std::runtime_error(std::string("torch engine: ") + caller + ": this ArrayBuffer is not a staging buffer");
  return found->second;
}

// stagingBuffer(elements, dtypeCode) -> ArrayBuffer over the memory of a new 1-D CPU tensor.
Napi::Value StagingBuffer(const Napi::CallbackInfo& info) {
  const int64_t elements = info[0].As<Napi::Number>().Int64Value();
  at::ScalarType dtype = scalarTypeFromCode(info[1].As<Napi::Number>().Int32Value());
  if (elements <= 0) throw std::runtime_error("torch engine: stagingBuffer needs a positive element count, got " + std::to_string(elements));
  at::Tensor tensor = at::empty({elements}, at::TensorOptions().dtype(dtype));
  void* data = tensor.data_ptr();
  const size_t bytes = tensor.nbytes();
  g_staging.emplace(data, std::move(tensor));
  return Napi::ArrayBuffer::New(info.Env(), data, bytes, [](Napi::Env, void* finalized) { g_staging.erase(finalized); });
}

// adoptStaging(arrayBuffer, shape[], dtypeCode) -> handle of a tensor on the staging memory: a view on the
// CPU (no copy: the buffer must not be written while it lives, see stagingInUse), a copy on a GPU.
Napi::Value AdoptStaging(const Napi::CallbackInfo& info) {
  const at::Tensor& staged = stagingTensorOf(info[0], "adoptStaging");
  std::vector<int64_t> shape = toIntList(info[1]);
  at::ScalarType dtype = scalarTypeFromCode(info[2].As<Napi::Number>().Int32Value());
  if (dtype != staged.scalar_type()) throw std::runtime_error("torch engine: adoptStaging: the staging buffer holds another dtype");
  at::Tensor view = staged.view(shape);  // a new TensorImpl on the same storage; throws if the sizes differ
  if (g_device.type() != c10::kCPU) view = view.to(g_device);
  return Napi::Number::New(info.Env(), storeTensor(std::move(view)));
}

// stagingInUse(arrayBuffer) -> true while a tensor other than the staging one uses the memory.
Napi::Value StagingInUse(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), stagingTensorOf(info[0], "stagingInUse").storage().use_count() > 1);
}

Napi::Value Dispose(const Napi::CallbackInfo& info) {
  int64_t handle = info[0].As<Napi::Number>().Int64Value();
  tensorAt(handle);  // throws on a double free
  g_tensors[handle] = at::Tensor();
  g_freeSlots.push_back(static_cast<int32_t>(handle));
  --g_liveCount;
  return info.Env().Undefined();
}

Napi::Value Shape(const Napi::CallbackInfo& info) {
  const at::Tensor& tensor = tensorAt(info[0].As<Napi::Number>().Int64Value());
  Napi::Array array = Napi::Array::New(info.Env(), tensor.dim());
  for (int64_t i = 0; i < tensor.dim(); ++i) array.Set(static_cast<uint32_t>(i), Napi::Number::New(info.Env(), static_cast<double>(tensor.size(i))));
  return array;
}

// Bytes held by live tensors (views counted once per storage would need a set; an upper bound is enough
// for tf.memory()).
Napi::Value LiveCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(g_liveCount));
}

// ---------------------------------------------------------------------------------------------------------
// Configuration.

// configure({ threads?, device?, tf32Conv?, tf32Matmul? }) -> { device, cudaAvailable, threads, version }
Napi::Value Configure(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object options = info.Length() > 0 && info[0].IsObject() ? info[0].As<Napi::Object>() : Napi::Object::New(env);
  if (options.Has("threads") && options.Get("threads").IsNumber()) {
    int threads = options.Get("threads").As<Napi::Number>().Int32Value();
    if (threads > 0) at::set_num_threads(threads);
  }
  bool cudaAvailable = torch::cuda::is_available();
  if (options.Has("device") && options.Get("device").IsString()) {
    std::string device = options.Get("device").As<Napi::String>().Utf8Value();
    if (device == "cuda" && !cudaAvailable) throw Napi::Error::New(env, "torch engine: CUDA requested but libtorch sees no CUDA device");
    g_device = c10::Device(device == "cuda" ? c10::kCUDA : c10::kCPU);
  }
  if (options.Has("tf32Conv")) at::globalContext().setAllowTF32CuDNN(options.Get("tf32Conv").ToBoolean().Value());
  if (options.Has("tf32Matmul")) at::globalContext().setAllowTF32CuBLAS(options.Get("tf32Matmul").ToBoolean().Value());
  Napi::Object result = Napi::Object::New(env);
  result.Set("device", g_device.type() == c10::kCUDA ? "cuda" : "cpu");
  result.Set("cudaAvailable", cudaAvailable);
  result.Set("cudaDeviceCount", static_cast<double>(cudaAvailable ? torch::cuda::device_count() : 0));
  result.Set("threads", at::get_num_threads());
  result.Set("tf32Conv", at::globalContext().allowTF32CuDNN());
  result.Set("tf32Matmul", at::globalContext().allowTF32CuBLAS());
  result.Set("version", std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                            std::to_string(TORCH_VERSION_PATCH));
  return result;
}

// Every entry point goes through this so a C++ exception (a bad handle, an ATen error) becomes a JS
// exception instead of terminating Node.
template <Napi::Value (*Body)(const Napi::CallbackInfo&)>
Napi::Value Guarded(const Napi::CallbackInfo& info) {
  try {
    return Body(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& error) {
    std::string message = error.what();
    size_t cut = message.find("\nException raised from");
    if (cut != std::string::npos) message = message.substr(0, cut);
    throw Napi::Error::New(info.Env(), message);
  }
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // glibc returns freed activation buffers to the OS and then page-faults them back in on every step;
  // keeping large blocks mapped removes multi-second first steps (measured by the feasibility probe).
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  exports.Set("op", Napi::Function::New(env, Guarded<ResolveOperator>));
  exports.Set("call", Napi::Function::New(env, Guarded<CallOperator>));
  exports.Set("fromBuffer", Napi::Function::New(env, Guarded<FromBuffer>));
  exports.Set("toBuffer", Napi::Function::New(env, Guarded<ToBuffer>));
  exports.Set("stagingBuffer", Napi::Function::New(env, Guarded<StagingBuffer>));
  exports.Set("adoptStaging", Napi::Function::New(env, Guarded<AdoptStaging>));
  exports.Set("stagingInUse", Napi::Function::New(env, Guarded<StagingInUse>));
  exports.Set("dispose", Napi::Function::New(env, Guarded<Dispose>));
  exports.Set("shape", Napi::Function::New(env, Guarded<Shape>));
  exports.Set("liveCount", Napi::Function::New(env, Guarded<LiveCount>));
  exports.Set("configure", Napi::Function::New(env, Guarded<Configure>));
  return exports;
}

}  // namespace

NODE_API_MODULE(torch_engine, Init)
