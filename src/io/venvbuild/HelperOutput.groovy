package io.venvbuild

import com.cloudbees.groovy.cps.NonCPS
import groovy.json.JsonSlurperClassic

/** Reads what the helper leaves behind: its one-line error and the built venv's metadata.json. */
class HelperOutput {

    static final String ERROR_PREFIX = 'venvbuild: error: '

    /** The helper's last `venvbuild: error: ...` line, else the last non-blank stderr line. */
    @NonCPS
    static String errorLine(String stderr) {
        List<String> lines = (stderr ?: '').readLines()*.trim().findAll { it }
        String error = lines.reverse().find { it.startsWith(ERROR_PREFIX) }
        return error ?: (lines ? lines.last() : 'no error message from the helper; see the console log')
    }

    /** metadata.json text -> the Map buildVenv returns. */
    @NonCPS
    static Map result(String metadataJson) {
        Map metadata = new JsonSlurperClassic().parseText(metadataJson) as Map
        return [
            envName      : metadata.env_name,
            pythonVersion: metadata.python_version,
            venvVersion  : metadata.venv_version,
            archiveUrl   : metadata.venv_archive,
            sha256       : metadata.archive_sha256,
            conflictFree : metadata.is_conflict_free == true,
        ]
    }
}
