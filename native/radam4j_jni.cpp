// JNI entry of org.radam4j.internal.FusedKernel. Every entry runs between API_BEGIN and API_END, which turn any
// C++ exception into a Java one: none may cross JNI.
#include <jni.h>

#include <cmath>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "org_radam4j_internal_FusedKernel.h"
#include "org_radam4j_internal_LibM.h"
#include "radam_fused.h"

namespace {

// Thrown when a Java exception is already pending: API_END returns without adding another.
struct JavaPending {};

void throw_java(JNIEnv* env, const char* cls, const char* message) {
    if (env->ExceptionCheck()) return;
    jclass c = env->FindClass(cls);
    if (c) env->ThrowNew(c, message);
}

void check(JNIEnv* env) {
    if (env->ExceptionCheck()) throw JavaPending{};
}

// A Java array's elements, checked for null and for the batch's length.
template <typename T, typename A>
std::vector<T> elements(JNIEnv* env, A array, jsize n, const char* name, void (JNIEnv::*get)(A, jsize, jsize, T*)) {
    if (!array) throw std::invalid_argument(std::string("FusedKernel: ") + name + " is null");
    if (env->GetArrayLength(array) != n) throw std::invalid_argument(std::string("FusedKernel: ") + name + " has the wrong length");
    std::vector<T> out(static_cast<size_t>(n));
    (env->*get)(array, 0, n, out.data());
    check(env);
    return out;
}

// The kernel's dtype for FusedKernel's code.
radam4j::Dtype dtype_of(jint code) {
    switch (code) {
        case org_radam4j_internal_FusedKernel_FLOAT32: return radam4j::DTYPE_FLOAT32;
        case org_radam4j_internal_FusedKernel_FLOAT64: return radam4j::DTYPE_FLOAT64;
        case org_radam4j_internal_FusedKernel_BFLOAT16: return radam4j::DTYPE_BFLOAT16;
        case org_radam4j_internal_FusedKernel_FLOAT16: return radam4j::DTYPE_FLOAT16;
        default: throw std::invalid_argument("FusedKernel.step: unknown dtype code");
    }
}

}  // namespace

#define API_BEGIN() try {
#define API_END(ret)                                                                                   \
    }                                                                                                  \
    catch (const JavaPending&) {                                                                       \
        return ret;                                                                                    \
    }                                                                                                  \
    catch (const std::invalid_argument& e) {                                                           \
        throw_java(env, "java/lang/IllegalArgumentException", e.what());                               \
        return ret;                                                                                    \
    }                                                                                                  \
    catch (const std::bad_alloc&) {                                                                    \
        throw_java(env, "java/lang/OutOfMemoryError", "radam4j's fused kernel: out of native memory"); \
        return ret;                                                                                    \
    }                                                                                                  \
    catch (const std::exception& e) {                                                                  \
        throw_java(env, "java/lang/IllegalStateException", e.what());                                  \
        return ret;                                                                                    \
    }                                                                                                  \
    catch (...) {                                                                                      \
        throw_java(env, "java/lang/IllegalStateException", "radam4j's fused kernel: unknown native error"); \
        return ret;                                                                                    \
    }

namespace {

// A step's Java arrays, checked, as the kernel's work (which points into gs).
struct Batch {
    radam4j::GroupScalars gs;
    std::vector<radam4j::Work> work;
    std::vector<jlong> steps;
    std::vector<jint> step_kinds;
    std::vector<jdouble> next_steps;
};

void read_batch(JNIEnv* env, Batch& batch, jint dtype_code, jlongArray params, jlongArray grads, jlongArray exp_avgs,
                jlongArray exp_avg_sqs, jlongArray numels, jdoubleArray bc1s, jdoubleArray sqrt_bc2s, jdoubleArray rects,
                jbooleanArray rectified, jlongArray step_counters, jintArray step_kind_codes,
                jdoubleArray next_step_values) {
    const radam4j::Dtype dtype = dtype_of(dtype_code);
    if (!params) throw std::invalid_argument("FusedKernel: params is null");
    const jsize n = env->GetArrayLength(params);
    auto p = elements(env, params, n, "params", &JNIEnv::GetLongArrayRegion);
    auto gr = elements(env, grads, n, "grads", &JNIEnv::GetLongArrayRegion);
    auto m = elements(env, exp_avgs, n, "expAvgs", &JNIEnv::GetLongArrayRegion);
    auto v = elements(env, exp_avg_sqs, n, "expAvgSqs", &JNIEnv::GetLongArrayRegion);
    auto len = elements(env, numels, n, "numels", &JNIEnv::GetLongArrayRegion);
    auto bc1 = elements(env, bc1s, n, "bc1s", &JNIEnv::GetDoubleArrayRegion);
    auto sbc2 = elements(env, sqrt_bc2s, n, "sqrtBc2s", &JNIEnv::GetDoubleArrayRegion);
    auto rect = elements(env, rects, n, "rects", &JNIEnv::GetDoubleArrayRegion);
    auto rf = elements(env, rectified, n, "rectified", &JNIEnv::GetBooleanArrayRegion);
    batch.steps = elements(env, step_counters, n, "steps", &JNIEnv::GetLongArrayRegion);
    batch.step_kinds = elements(env, step_kind_codes, n, "stepKinds", &JNIEnv::GetIntArrayRegion);
    batch.next_steps = elements(env, next_step_values, n, "nextSteps", &JNIEnv::GetDoubleArrayRegion);
    batch.work.reserve(static_cast<size_t>(n));
    for (jsize i = 0; i < n; ++i) {
        if ((len[i] > 0 && (!p[i] || !gr[i] || !m[i] || !v[i])) || len[i] < 0) {
            throw std::invalid_argument("FusedKernel.step: a null data pointer or a negative length");
        }
        const jint kind = batch.step_kinds[i];
        if (kind != org_radam4j_internal_FusedKernel_STEP_BY_CALLER &&
            (!batch.steps[i] || (kind != org_radam4j_internal_FusedKernel_STEP_FLOAT32 && kind != org_radam4j_internal_FusedKernel_STEP_FLOAT64))) {
            throw std::invalid_argument("FusedKernel.step: a null step counter or an unknown counter kind");
        }
        batch.work.push_back({reinterpret_cast<void*>(p[i]), reinterpret_cast<const void*>(gr[i]),
                              reinterpret_cast<void*>(m[i]), reinterpret_cast<void*>(v[i]), len[i], dtype,
                              {bc1[i], sbc2[i], rect[i], rf[i] ? 1 : 0}, &batch.gs});
    }
}

// The step counters, once every element is stepped: nothing can fail after this.
void write_steps(const Batch& batch) {
    for (size_t i = 0; i < batch.steps.size(); ++i) {
        if (batch.step_kinds[i] == org_radam4j_internal_FusedKernel_STEP_FLOAT32) *reinterpret_cast<float*>(batch.steps[i]) = static_cast<float>(batch.next_steps[i]);
        if (batch.step_kinds[i] == org_radam4j_internal_FusedKernel_STEP_FLOAT64) *reinterpret_cast<double*>(batch.steps[i]) = batch.next_steps[i];
    }
}

}  // namespace

#define BATCH_PARAMS                                                                                                   \
    JNIEnv *env, jclass, jdouble lr, jdouble beta1, jdouble beta2, jdouble eps, jdouble weight_decay,                 \
        jdouble decay_factor, jboolean decoupled, jboolean maximize, jdouble inv_scale, jboolean inv_scale_exact,      \
        jint dtype_code,                                                                                               \
        jlongArray params, jlongArray grads, jlongArray exp_avgs, jlongArray exp_avg_sqs, jlongArray numels,           \
        jdoubleArray bc1s, jdoubleArray sqrt_bc2s, jdoubleArray rects, jbooleanArray rectified,                       \
        jlongArray step_counters, jintArray step_kind_codes, jdoubleArray next_step_values, jint threads
#define READ_BATCH(batch)                                                                                              \
    batch.gs = radam4j::GroupScalars{beta1, beta2, eps, weight_decay, decay_factor, lr, decoupled ? 1 : 0,            \
                                     maximize ? 1 : 0, inv_scale,                                                      \
                                     inv_scale == 0 ? 0 : inv_scale_exact ? radam4j::SCALED_EXACT : 1,                 \
                                     radam4j::libtorch_fma() ? 1 : 0};                                                  \
    read_batch(env, batch, dtype_code, params, grads, exp_avgs, exp_avg_sqs, numels, bc1s, sqrt_bc2s, rects,         \
               rectified, step_counters, step_kind_codes, next_step_values)

extern "C" JNIEXPORT void JNICALL Java_org_radam4j_internal_FusedKernel_step0(BATCH_PARAMS) {
    API_BEGIN()
    Batch batch;
    READ_BATCH(batch);
    radam4j::fused_step(batch.work, threads < 1 ? 1 : threads);
    write_steps(batch);
    API_END(void())
}

extern "C" JNIEXPORT void JNICALL Java_org_radam4j_internal_FusedKernel_peerStep0(BATCH_PARAMS) {
    API_BEGIN()
    Batch batch;
    READ_BATCH(batch);
    radam4j::peer_step(batch.work, threads < 1 ? 1 : threads);
    write_steps(batch);
    API_END(void())
}

namespace {

// A Java string from a C++ one.
jstring java_string(JNIEnv* env, const std::string& s) {
    jstring out = env->NewStringUTF(s.c_str());
    check(env);
    return out;
}

std::string cpp_string(JNIEnv* env, jstring s) {
    if (!s) throw std::invalid_argument("FusedKernel: null string");
    const char* chars = env->GetStringUTFChars(s, nullptr);
    check(env);
    std::string copy(chars);
    env->ReleaseStringUTFChars(s, chars);
    return copy;
}

}  // namespace

extern "C" JNIEXPORT jstring JNICALL Java_org_radam4j_internal_FusedKernel_calibrate0(JNIEnv* env, jclass, jint threads) {
    API_BEGIN()
    return java_string(env, radam4j::calibrate(threads < 1 ? 1 : threads));
    API_END(nullptr)
}

extern "C" JNIEXPORT jboolean JNICALL Java_org_radam4j_internal_FusedKernel_applyPlans0(JNIEnv* env, jclass, jstring text) {
    API_BEGIN()
    return radam4j::apply_plans(cpp_string(env, text)) ? JNI_TRUE : JNI_FALSE;
    API_END(JNI_FALSE)
}

extern "C" JNIEXPORT jstring JNICALL Java_org_radam4j_internal_FusedKernel_plans(JNIEnv* env, jclass) {
    API_BEGIN()
    return java_string(env, radam4j::plans());
    API_END(nullptr)
}

extern "C" JNIEXPORT jstring JNICALL Java_org_radam4j_internal_FusedKernel_cpuId(JNIEnv* env, jclass) {
    API_BEGIN()
    return java_string(env, radam4j::cpu_id());
    API_END(nullptr)
}

extern "C" JNIEXPORT jint JNICALL Java_org_radam4j_internal_FusedKernel_scan0(JNIEnv* env, jclass, jint dtype_code,
                                                                            jlongArray grads, jlongArray numels,
                                                                            jint threads, jfloat inv_scale) {
    API_BEGIN()
    const radam4j::Dtype dtype = dtype_of(dtype_code);
    if (!grads) throw std::invalid_argument("FusedKernel: grads is null");
    const jsize n = env->GetArrayLength(grads);
    auto g = elements(env, grads, n, "grads", &JNIEnv::GetLongArrayRegion);
    auto len = elements(env, numels, n, "numels", &JNIEnv::GetLongArrayRegion);
    std::vector<radam4j::Work> work;
    work.reserve(static_cast<size_t>(n));
    for (jsize i = 0; i < n; ++i) {
        if (len[i] < 0 || (len[i] > 0 && !g[i])) throw std::invalid_argument("FusedKernel.scan: a null gradient or a negative length");
        radam4j::Work w{};
        w.grad = reinterpret_cast<const void*>(g[i]);
        w.numel = len[i];
        w.dtype = dtype;
        work.push_back(w);
    }
    return radam4j::scan_grads(work, threads < 1 ? 1 : threads, inv_scale);
    API_END(0)
}

extern "C" JNIEXPORT jstring JNICALL Java_org_radam4j_internal_FusedKernel_isa(JNIEnv* env, jclass) {
    API_BEGIN()
    return env->NewStringUTF(radam4j::isa());
    API_END(nullptr)
}

extern "C" JNIEXPORT jdouble JNICALL Java_org_radam4j_internal_FusedKernel_streamGbps(JNIEnv* env, jclass, jlong n,
                                                                                  jint threads, jint reps) {
    API_BEGIN()
    if (n <= 0 || reps <= 0) throw std::invalid_argument("FusedKernel.streamGbps: n and reps must be positive");
    return radam4j::stream_gbps(n, threads < 1 ? 1 : threads, reps);
    API_END(0.0)
}

extern "C" JNIEXPORT jlong JNICALL Java_org_radam4j_internal_FusedKernel_tablesFrom(JNIEnv*, jclass, jlong elements) {
    return radam4j::tables_from(elements);
}

extern "C" JNIEXPORT void JNICALL Java_org_radam4j_internal_FusedKernel_libtorchFma0(JNIEnv* env, jclass, jboolean fused) {
    API_BEGIN()
    radam4j::set_libtorch_fma(fused != JNI_FALSE);
    API_END(void())
}

extern "C" JNIEXPORT jboolean JNICALL Java_org_radam4j_internal_FusedKernel_useIsa(JNIEnv* env, jclass, jstring name) {
    API_BEGIN()
    if (!name) return radam4j::use_isa(nullptr) ? JNI_TRUE : JNI_FALSE;
    const char* chars = env->GetStringUTFChars(name, nullptr);
    check(env);
    const std::string copy(chars);
    env->ReleaseStringUTFChars(name, chars);
    return radam4j::use_isa(copy.c_str()) ? JNI_TRUE : JNI_FALSE;
    API_END(JNI_FALSE)
}

extern "C" JNIEXPORT jobjectArray JNICALL Java_org_radam4j_internal_FusedKernel_isas(JNIEnv* env, jclass) {
    API_BEGIN()
    const std::vector<std::string> names = radam4j::isas();
    jclass string = env->FindClass("java/lang/String");
    check(env);
    jobjectArray out = env->NewObjectArray(static_cast<jsize>(names.size()), string, nullptr);
    check(env);
    for (size_t i = 0; i < names.size(); ++i) {
        jstring s = env->NewStringUTF(names[i].c_str());
        check(env);
        env->SetObjectArrayElement(out, static_cast<jsize>(i), s);
        env->DeleteLocalRef(s);
    }
    return out;
    API_END(nullptr)
}

// The C library's cos, pow and log, which CPython's math module and float ** use: schedulers computed from
// them give Python's doubles bit for bit (Java's Math and StrictMath may differ from glibc in the last bit).
extern "C" JNIEXPORT jdouble JNICALL Java_org_radam4j_internal_LibM_cos0(JNIEnv*, jclass, jdouble x) { return std::cos(x); }
extern "C" JNIEXPORT jdouble JNICALL Java_org_radam4j_internal_LibM_pow0(JNIEnv*, jclass, jdouble x, jdouble y) {
    return std::pow(x, y);
}
extern "C" JNIEXPORT jdouble JNICALL Java_org_radam4j_internal_LibM_log0(JNIEnv*, jclass, jdouble x) { return std::log(x); }
