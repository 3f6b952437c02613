// JNI entry of org.radam4j.FusedKernel: a whole group's step in one call.
#include <jni.h>

#include <vector>

#include "radam_fused.h"

namespace {


void throw_illegal(JNIEnv* env, const char* message) {
    jclass c = env->FindClass("java/lang/IllegalArgumentException");
    if (c) env->ThrowNew(c, message);
}

}  // namespace

extern "C" JNIEXPORT void JNICALL Java_org_radam4j_FusedKernel_step(
    JNIEnv* env, jclass, jlongArray params, jlongArray grads, jlongArray expAvgs, jlongArray expAvgSqs,
    jlongArray numels, jint dtype, jdoubleArray bc1s,
    jdoubleArray sqrtBc2s, jdoubleArray rects, jbooleanArray rectified, jdouble lr, jdouble beta1, jdouble beta2,
    jdouble eps, jdouble weightDecay, jdouble decayFactor, jboolean decoupled, jboolean maximize, jint threads) {
    if (!params || !grads || !expAvgs || !expAvgSqs || !numels || !bc1s || !sqrtBc2s || !rects || !rectified) {
        throw_illegal(env, "FusedKernel.step: null array");
        return;
    }
    const jsize n = env->GetArrayLength(params);
    if (env->GetArrayLength(grads) != n || env->GetArrayLength(expAvgs) != n || env->GetArrayLength(expAvgSqs) != n
        || env->GetArrayLength(numels) != n || env->GetArrayLength(bc1s) != n || env->GetArrayLength(sqrtBc2s) != n
        || env->GetArrayLength(rects) != n || env->GetArrayLength(rectified) != n) {
        throw_illegal(env, "FusedKernel.step: arrays of different lengths");
        return;
    }
    if (dtype < radam4j::DTYPE_FLOAT32 || dtype > radam4j::DTYPE_FLOAT16) {
        throw_illegal(env, "FusedKernel.step: unknown dtype code");
        return;
    }
    std::vector<jlong> p(n), g(n), m(n), v(n), len(n);
    std::vector<jdouble> b1(n), sb2(n), rc(n);
    std::vector<jboolean> rf(n);
    env->GetLongArrayRegion(params, 0, n, p.data());
    env->GetLongArrayRegion(grads, 0, n, g.data());
    env->GetLongArrayRegion(expAvgs, 0, n, m.data());
    env->GetLongArrayRegion(expAvgSqs, 0, n, v.data());
    env->GetLongArrayRegion(numels, 0, n, len.data());
    env->GetDoubleArrayRegion(bc1s, 0, n, b1.data());
    env->GetDoubleArrayRegion(sqrtBc2s, 0, n, sb2.data());
    env->GetDoubleArrayRegion(rects, 0, n, rc.data());
    env->GetBooleanArrayRegion(rectified, 0, n, rf.data());
    radam4j::GroupScalars gs{beta1, beta2, eps, weightDecay, decayFactor, lr, decoupled ? 1 : 0, maximize ? 1 : 0};
    std::vector<radam4j::Work> work;
    work.reserve(n);
    for (jsize i = 0; i < n; ++i) {
        if ((len[i] > 0 && (!p[i] || !g[i] || !m[i] || !v[i])) || len[i] < 0) {
            throw_illegal(env, "FusedKernel.step: a null data pointer or a negative length");
            return;
        }
        work.push_back({reinterpret_cast<void*>(p[i]), reinterpret_cast<const void*>(g[i]),
                        reinterpret_cast<void*>(m[i]), reinterpret_cast<void*>(v[i]), len[i], dtype,
                        {b1[i], sb2[i], rc[i], rf[i] ? 1 : 0}, &gs});
    }
    radam4j::fused_step(work, threads < 1 ? 1 : threads);
}

extern "C" JNIEXPORT jstring JNICALL Java_org_radam4j_FusedKernel_isa(JNIEnv* env, jclass) {
    return env->NewStringUTF(radam4j::isa());
}

extern "C" JNIEXPORT jdouble JNICALL Java_org_radam4j_FusedKernel_streamGbps(JNIEnv*, jclass, jlong n, jint threads,
                                                                         jint reps) {
    if (n <= 0 || reps <= 0) return 0;
    return radam4j::stream_gbps(n, threads < 1 ? 1 : threads, reps);
}

extern "C" JNIEXPORT void JNICALL Java_org_radam4j_FusedKernel_usePortable(JNIEnv*, jclass, jboolean portable) {
    radam4j::use_portable(portable);
}
