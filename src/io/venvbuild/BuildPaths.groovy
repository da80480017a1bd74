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

    /**
     * [workDir:, artifacts:, metadata:, reused:, installLog:, logDir:, toArchive:, venvTarballs:, conflictsFile:,
     * helperInfo:, scratchDir:]; scratchDir (the helper and its lock, outside the workspace) is under tmpRoot,
     * the workspace's @tmp (pwd(tmp: true)), null without one.
     */
    @NonCPS
    static Map of(String envName, String pythonVersion, String tmpRoot = null) {
        String id = "${envName}/${pythonVersion ?: DEFAULT_PYTHON}"
        String workDir = "${WORK_ROOT}/${id}"
        String artifacts = "${workDir}/artifacts"
        String logDir = "${LOG_ROOT}/${id}"
        return [
            workDir      : workDir,
            artifacts    : artifacts,
            metadata     : "${artifacts}/metadata.json".toString(),
            // Written by the helper with reuse: the metadata of the published build returned instead.
            reused       : "${workDir}/reused.json".toString(),
            installLog   : "${workDir}/install.log".toString(),
            logDir       : logDir,
            // archiveArtifacts patterns: what a build leaves to archive, and the venv tarballs among it.
            toArchive    : "${artifacts}/**, ${workDir}/install.log".toString(),
            venvTarballs : "${artifacts}/venv_*.tar.*".toString(),
            // run-stage.sh leaves the helper's conflict report here when conflicts are allowed.
            conflictsFile: "${logDir}/inspect.conflicts".toString(),
            helperInfo   : "${logDir}/helper.info".toString(),
            scratchDir   : tmpRoot ? "${tmpRoot}/venvbuild/${id}".toString() : null,
        ].collectEntries { key, value -> [(key): value?.toString()] }
    }

    /** Each script's stderr, read back to report the helper's error. */
    @NonCPS
    static String stderrFile(Map paths, String command) {
        return "${paths.logDir}/${command}.stderr"
    }
}
