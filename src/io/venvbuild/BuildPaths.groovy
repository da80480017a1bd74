package io.venvbuild

import com.cloudbees.groovy.cps.NonCPS

/**
 * Where one buildVenv call keeps its files, relative to the workspace (all ignored by .gitignore). Each
 * call gets its own folders, named by env name and Python version, so calls in parallel or in matrix
 * cells sharing a workspace never touch each other's files or archived artifacts.
 */
class BuildPaths {

    static final String WORK_ROOT = 'venvbuild-work'
    static final String LOG_ROOT = '.venvbuild-logs'
    // The folder name when no pythonVersion is given (the helper picks the agent's python3).
    static final String DEFAULT_PYTHON = 'default'

    /** [workDir:, artifacts:, metadata:, installLog:, logDir:, toArchive:, venvTarballs:, conflictsFile:, helperInfo:] */
    @NonCPS
    static Map of(String envName, String pythonVersion) {
        String id = "${envName}/${pythonVersion ?: DEFAULT_PYTHON}"
        String workDir = "${WORK_ROOT}/${id}"
        String artifacts = "${workDir}/artifacts"
        String logDir = "${LOG_ROOT}/${id}"
        return [
            workDir      : workDir,
            artifacts    : artifacts,
            metadata     : "${artifacts}/metadata.json".toString(),
            installLog   : "${workDir}/install.log".toString(),
            logDir       : logDir,
            // archiveArtifacts patterns: what a build leaves to archive, and the venv tarballs among it.
            toArchive    : "${artifacts}/**, ${workDir}/install.log".toString(),
            venvTarballs : "${artifacts}/venv_*.tar.*".toString(),
            // run-stage.sh leaves the helper's conflict report here when conflicts are allowed.
            conflictsFile: "${logDir}/inspect.conflicts".toString(),
            helperInfo   : "${logDir}/helper.info".toString(),
        ].collectEntries { key, value -> [(key): value.toString()] }
    }

    /** Each script's stderr, read back to report the helper's error. */
    @NonCPS
    static String stderrFile(Map paths, String command) {
        return "${paths.logDir}/${command}.stderr"
    }
}
