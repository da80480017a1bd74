package io.venvbuild

import com.cloudbees.groovy.cps.NonCPS

/** Where a build keeps its files, relative to the workspace (all ignored by .gitignore). */
class BuildPaths {

    // The helper's work dir: state, the venv being built, install.log and artifacts/.
    static final String WORK_DIR = 'venvbuild-work'
    static final String ARTIFACTS = "${WORK_DIR}/artifacts"
    static final String METADATA = "${ARTIFACTS}/metadata.json"
    static final String INSTALL_LOG = "${WORK_DIR}/install.log"
    // Written by the helper with reuse: the metadata of the published build returned instead of this one.
    static final String REUSED = "${WORK_DIR}/reused.json"
    // archiveArtifacts patterns: what a build leaves to archive, and the venv tarballs among it.
    static final String TO_ARCHIVE = "${ARTIFACTS}/**, ${INSTALL_LOG}"
    static final String VENV_TARBALLS = "${ARTIFACTS}/venv_*.tar.*"
    // The venv the helper itself runs from, separate from the venv being built.
    static final String TOOL_DIR = '.venvbuild-tool'
    static final String TOOL_COMMAND = "${TOOL_DIR}/bin/venvbuild"
    // Each script's stderr, read back to report the helper's error.
    static final String LOG_DIR = '.venvbuild-logs'

    @NonCPS
    static String stderrFile(String command) {
        return "${LOG_DIR}/${command}.stderr"
    }
}
