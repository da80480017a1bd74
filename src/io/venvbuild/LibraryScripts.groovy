package io.venvbuild

import com.cloudbees.groovy.cps.NonCPS

/**
 * Runs the scripts in resources/venvbuild/ for the library's steps: the script text unchanged, every value
 * in the environment, a label for the stage view, the helper's stderr kept in a file to report its error.
 */
class LibraryScripts implements Serializable {

    /** Runs script with VB_STAGE=command and VB_STDERR_FILE=stderrFile; returns its exit status. */
    static int run(Object steps, String script, String command, String label, String stderrFile) {
        int status = 0
        steps.withEnv(["VB_STAGE=${command}".toString(), "VB_STDERR_FILE=${stderrFile}".toString()]) {
            status = steps.sh(label: label, script: steps.libraryResource("venvbuild/${script}"), returnStatus: true)
        }
        return status
    }

    /** The one line a failed run fails the build with: the step, the exit code's meaning, the helper's error. */
    static String failure(Object steps, String step, String command, int status, String stderrFile) {
        String stderr = steps.fileExists(stderrFile) ? steps.readFile(stderrFile) : ''
        Map<Integer, String> meanings = HelperExitCodes.parse(steps.libraryResource('venvbuild/exit_codes.json'))
        return describe(step, command, status, HelperExitCodes.meaning(meanings, status), stderr)
    }

    @NonCPS
    static String describe(String step, String command, int status, String meaning, String stderr) {
        return "${step}: ${command} failed with exit code ${status} (${meaning}): ${HelperOutput.errorLine(stderr)}"
    }
}
