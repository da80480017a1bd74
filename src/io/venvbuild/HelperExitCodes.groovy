package io.venvbuild

import com.cloudbees.groovy.cps.NonCPS

/**
 * What the venvbuild helper's exit codes mean (python/venvbuild/errors.py). Every non-zero code fails
 * the build; conflicts exit non-zero only with --fail-on-conflicts, otherwise they make it UNSTABLE.
 */
class HelperExitCodes {

    static final Map<Integer, String> MEANINGS = [
        0: 'ok',
        2: 'bad usage or bad input',
        3: 'unpinned requirements',
        4: 'dependency conflicts',
        5: 'install failed',
        6: 'store/publish failed',
    ].asImmutable()

    @NonCPS
    static String meaning(int code) {
        return MEANINGS[code] ?: 'unexpected exit code'
    }
}
