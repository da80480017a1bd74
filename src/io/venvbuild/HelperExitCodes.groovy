package io.venvbuild

import com.cloudbees.groovy.cps.NonCPS
import groovy.json.JsonSlurperClassic

/**
 * What the venvbuild helper's exit codes mean: resources/venvbuild/exit_codes.json, the file the helper
 * lists in its --help. Every non-zero code fails the build; conflicts exit non-zero only with
 * --fail-on-conflicts, otherwise they make it UNSTABLE.
 */
class HelperExitCodes {

    // `venvbuild inspect --fail-on-conflicts` found conflicts (its reports are written first).
    static final int CONFLICTS = 4

    /** exit_codes.json text (read with libraryResource) -> [code: meaning]. */
    @NonCPS
    static Map<Integer, String> parse(String exitCodesJson) {
        Map raw = new JsonSlurperClassic().parseText(exitCodesJson) as Map
        Map<Integer, String> meanings = [:]
        raw.each { code, meaning -> meanings[(code as String).toInteger()] = meaning as String }
        return meanings
    }

    @NonCPS
    static String meaning(Map<Integer, String> meanings, int code) {
        return meanings[code] ?: 'unexpected exit code'
    }
}
