// JNI entry of org.radam4j.internal.FusedKernel. Every entry runs between API_BEGIN and API_END, which turn any
// C++ exception into a Java one: none may cross JNI.
#include <jni.h>

#include <cmath>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "radam_fused.h"

namespace {

// How FusedKernel.ParamBatch.stepKinds says who writes each param's step counter after the step.
constexpr jint STEP_BY_CALLER = 0, STEP_FLOAT32 = 1, STEP_FLOAT64 = 2;

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

jfieldID field(JNIEnv* env, jclass cls, const char* name, const char* sig) {
    jfieldID id = env->GetFieldID(cls, name, sig);
    check(env);
    return id;
}

// The named fields of a Java record, read once each.
class Record {
public:
    Record(JNIEnv* env, jobject obj) : env_(env), obj_(obj), cls_(env->GetObjectClass(obj)) { check(env); }
    double d(const char* name) { return env_->GetDoubleField(obj_, field(env_, cls_, name, "D")); }
    int i(const char* name) { return env_->GetIntField(obj_, field(env_, cls_, name, "I")); }
    bool z(const char* name) { return env_->GetBooleanField(obj_, field(env_, cls_, name, "Z")) == JNI_TRUE; }
    jsize length(const char* name, const char* sig) {
        jarray a = static_cast<jarray>(env_->GetObjectField(obj_, field(env_, cls_, name, sig)));
        check(env_);
        if (!a) throw std::invalid_argument(std::string("FusedKernel: ") + name + " is null");
        const jsize n = env_->GetArrayLength(a);
        env_->DeleteLocalRef(a);
        return n;
    }
    template <typename T, typename A>
    std::vector<T> array(const char* name, const char* sig, jsize n,
                         void (JNIEnv::*get)(A, jsize, jsize, T*)) {
        if (length(name, sig) != n) throw std::invalid_argument(std::string("FusedKernel: ") + name + " has the wrong length");
        A a = static_cast<A>(env_->GetObjectField(obj_, field(env_, cls_, name, sig)));
        check(env_);
        std::vector<T> out(static_cast<size_t>(n));
        (env_->*get)(a, 0, n, out.data());
        env_->DeleteLocalRef(a);
        check(env_);
        return out;
    }

private:
    JNIEnv* env_;
    jobject obj_;
    jclass cls_;
};

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

extern "C" JNIEXPORT void JNICALL Java_org_radam4j_internal_FusedKernel_step(JNIEnv* env, jclass, jobject group,
                                                                            jobject batch, jint threads) {
    API_BEGIN()
    if (!group || !batch) throw std::invalid_argument("FusedKernel.step: null group or batch");
    Record g(env, group);
    radam4j::GroupScalars gs{g.d("beta1"), g.d("beta2"), g.d("eps"), g.d("weightDecay"), g.d("decayFactor"),
                             g.d("lr"), g.z("decoupled") ? 1 : 0, g.z("maximize") ? 1 : 0};
    check(env);
    Record b(env, batch);
    const int dtype = b.i("dtype");
    check(env);
    if (dtype < radam4j::DTYPE_FLOAT32 || dtype > radam4j::DTYPE_FLOAT16) {
        throw std::invalid_argument("FusedKernel.step: unknown dtype code");
    }
    const jsize n = b.length("params", "[J");
    auto p = b.array<jlong, jlongArray>("params", "[J", n, &JNIEnv::GetLongArrayRegion);
    auto gr = b.array<jlong, jlongArray>("grads", "[J", n, &JNIEnv::GetLongArrayRegion);
    auto m = b.array<jlong, jlongArray>("expAvgs", "[J", n, &JNIEnv::GetLongArrayRegion);
    auto v = b.array<jlong, jlongArray>("expAvgSqs", "[J", n, &JNIEnv::GetLongArrayRegion);
    auto len = b.array<jlong, jlongArray>("numels", "[J", n, &JNIEnv::GetLongArrayRegion);
    auto bc1 = b.array<jdouble, jdoubleArray>("bc1s", "[D", n, &JNIEnv::GetDoubleArrayRegion);
    auto sbc2 = b.array<jdouble, jdoubleArray>("sqrtBc2s", "[D", n, &JNIEnv::GetDoubleArrayRegion);
    auto rect = b.array<jdouble, jdoubleArray>("rects", "[D", n, &JNIEnv::GetDoubleArrayRegion);
    auto rf = b.array<jboolean, jbooleanArray>("rectified", "[Z", n, &JNIEnv::GetBooleanArrayRegion);
    auto steps = b.array<jlong, jlongArray>("steps", "[J", n, &JNIEnv::GetLongArrayRegion);
    auto step_kinds = b.array<jint, jintArray>("stepKinds", "[I", n, &JNIEnv::GetIntArrayRegion);
    auto next_steps = b.array<jdouble, jdoubleArray>("nextSteps", "[D", n, &JNIEnv::GetDoubleArrayRegion);
    std::vector<radam4j::Work> work;
    work.reserve(static_cast<size_t>(n));
    for (jsize i = 0; i < n; ++i) {
        if ((len[i] > 0 && (!p[i] || !gr[i] || !m[i] || !v[i])) || len[i] < 0) {
            throw std::invalid_argument("FusedKernel.step: a null data pointer or a negative length");
        }
        if (step_kinds[i] != STEP_BY_CALLER && (!steps[i] || (step_kinds[i] != STEP_FLOAT32 && step_kinds[i] != STEP_FLOAT64))) {
            throw std::invalid_argument("FusedKernel.step: a null step counter or an unknown counter kind");
        }
        work.push_back({reinterpret_cast<void*>(p[i]), reinterpret_cast<const void*>(gr[i]),
                        reinterpret_cast<void*>(m[i]), reinterpret_cast<void*>(v[i]), len[i], dtype,
                        {bc1[i], sbc2[i], rect[i], rf[i] ? 1 : 0}, &gs});
    }
    radam4j::fused_step(work, threads < 1 ? 1 : threads);
    // The step counters last, once every element is stepped: nothing can fail after this point.
    for (jsize i = 0; i < n; ++i) {
        if (step_kinds[i] == STEP_FLOAT32) *reinterpret_cast<float*>(steps[i]) = static_cast<float>(next_steps[i]);
        if (step_kinds[i] == STEP_FLOAT64) *reinterpret_cast<double*>(steps[i]) = next_steps[i];
    }
    API_END(void())
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
