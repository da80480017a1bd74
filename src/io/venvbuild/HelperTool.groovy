package io.venvbuild

import com.cloudbees.groovy.cps.NonCPS

/**
 * The venvbuild helper on the agent, for any step of the library that runs it (buildVenv, withVenv, ...):
 *
 *     HelperTool tool = new HelperTool(this, 'buildVenv', options)   // options: the keys of DEFAULTS
 *     tool.checkCredentials()            // before any stage: helperIndexCredentialsId must exist
 *     String venvbuild = tool.install(logDir, scratchDir)   // on the agent; the command to run
 *     tool.verify(logDir)                // again, right before credentials are bound
 *
 * By default the helper is installed for this call, from resources/venvbuild/helper-lock.txt (the
 * venvbuild wheel of this library's VERSION and every dependency, pinned by sha256, handed to the
 * script as a file in scratchDir) with pip --require-hashes, into scratchDir/helper, a folder of this
 * call's under the workspace's @tmp (resources/venvbuild/install-helper.sh). Only the wheels are shared
 * by the agent's builds (helperToolRoot/wheels), each checked against the lock's sha256: nothing an
 * earlier build left on the agent is run. The digest of the tool and its interpreter is kept here, in
 * the controller's memory, where no build on the agent can change it. helperCommand instead uses an
 * installed helper, refused unless it answers this library's VERSION. Trust model:
 * docs/how-to/jenkins-trust.md.
 */
class HelperTool implements Serializable {

    // The options a step running the helper accepts, with their defaults; one line each in the step's map.
    static final Map DEFAULTS = [
        helperCommand           : null,      // an installed venvbuild command (of this library's VERSION) instead of the lock
        helperPython            : 'python3', // interpreter that creates the helper's tool venv
        helperIndexUrl          : null,      // package index (PEP 503 simple URL) holding the lock's wheels; null: the agent's pip config
        helperIndexCredentialsId: null,      // Jenkins username/password credentials for helperIndexUrl
        helperToolRoot          : null,      // the agent's shared helper cache (hash-checked wheels), outside the workspace; null: ~/.cache/venvbuild/helpers
    ]

    static final String LOCK = 'venvbuild/helper-lock.txt'
    static final String SCRIPT = 'install-helper.sh'

    private final Object steps
    private final String step
    private final Map options
    private String digest = ''
    private String command = null
    private String tool = ''
    private String lockFile = ''
    private String toolDir = ''

    HelperTool(Object steps, String step, Map options) {
        this.steps = steps
        this.step = step
        this.options = DEFAULTS + optionsIn(options)
    }

    /** The helper options among a step's options (those given), to hand to another step. */
    @NonCPS
    static Map optionsIn(Map options) {
        return options.subMap(DEFAULTS.keySet()).findAll { key, value -> value != null }
    }

    /** Null when the helper options are acceptable, else a one-line error naming the parameter. */
    @NonCPS
    static String problem(String step, Map options, Map namingRules) {
        if (options.helperIndexCredentialsId != null && options.helperIndexUrl == null) {
            return "${step}: helperIndexCredentialsId needs helperIndexUrl, the index they are for"
        }
        if (options.helperCommand != null && (options.helperIndexUrl != null || options.helperToolRoot != null)) {
            return "${step}: helperCommand uses an installed helper; helperIndexUrl and helperToolRoot are for installing one"
        }
        if (options.helperIndexUrl != null) {
            return NamingRules.problem(namingRules, 'endpoint_url', 'helperIndexUrl', options.helperIndexUrl)?.with { "${step}: ${it}" }
        }
        return null
    }

    /** Fails with one line unless the agent runs Linux or macOS, which the helper (and its sh scripts) need. */
    static void requireUnix(Object steps, String step) {
        if (!steps.isUnix()) {
            steps.error("${step}: this agent runs Windows; the venvbuild helper needs a Linux or macOS agent with python3")
        }
    }

    /** Fails with one line, before any stage, when helperIndexCredentialsId names no username/password credentials. */
    void checkCredentials() {
        if (!options.helperIndexCredentialsId) {
            return
        }
        try {
            withIndexCredentials {}
        } catch (error) {
            steps.error("${step}: helperIndexCredentialsId '${options.helperIndexCredentialsId}' is not usable " +
                "username/password credentials: ${error.message}")
        }
    }

    /** This call's private scratch folder on the agent, under the workspace's @tmp: pwd(tmp: true)/venvbuild/id. */
    static String scratchDir(Object steps, String id) {
        return "${steps.pwd(tmp: true)}/venvbuild/${id}".toString()
    }

    /**
     * Installs the helper for this call into scratchDir (or checks helperCommand) on the agent; returns the
     * command to run it. The lock reaches the script as a file in scratchDir, not in the environment.
     */
    String install(String logDir, String scratchDir) {
        String version = steps.libraryResource('venvbuild/VERSION').trim()
        String info = "${logDir}/helper.info"
        String lockFile = "${scratchDir}/helper-lock.txt"
        if (!options.helperCommand) {
            steps.writeFile(file: lockFile, text: steps.libraryResource(LOCK))
        }
        List<String> entries = environment(options, version, info, lockFile, "${scratchDir}/helper".toString())
        int status = 0
        steps.withEnv(entries) {
            withIndexCredentials {
                status = LibraryScripts.run(steps, SCRIPT, 'install-helper', 'venvbuild: install the helper', "${logDir}/install-helper.stderr")
            }
        }
        if (status != 0) {
            steps.error(LibraryScripts.failure(steps, step, 'install-helper', status, "${logDir}/install-helper.stderr"))
        }
        Map found = parseInfo(steps.readFile(info))
        command = found.command
        digest = found.digest
        tool = found.tool
        this.lockFile = lockFile
        this.toolDir = "${scratchDir}/helper".toString()
        return command
    }

    /** Removes this call's scratch folder (the helper installed for it, the lock) once the call is done with it. */
    static void remove(Object steps, String scratchDir) {
        steps.dir(scratchDir) {
            steps.deleteDir()
        }
    }

    /** Checks that the tool and its interpreter are still what install() reported; call before binding credentials. */
    void verify(String logDir) {
        String version = steps.libraryResource('venvbuild/VERSION').trim()
        List<String> entries = environment(options, version, "${logDir}/helper.info", lockFile, toolDir) +
            ["VB_HELPER_DIGEST=${digest}".toString(), "VB_HELPER_TOOL=${tool}".toString()]
        int status = 0
        steps.withEnv(entries) {
            status = LibraryScripts.run(steps, SCRIPT, 'verify-helper', 'venvbuild: verify the helper', "${logDir}/verify-helper.stderr")
        }
        if (status != 0) {
            steps.error(LibraryScripts.failure(steps, step, 'verify-helper', status, "${logDir}/verify-helper.stderr"))
        }
    }

    /**
     * Runs one library script with the installed helper for a step that reaches the store: environment set,
     * the AWS credentials (if any) bound only around it and the helper verified before it sees them; a
     * failure fails the build with the helper's one line.
     */
    void runWithStore(List<String> environment, String credentialsId, String script, String command, String label,
                      String logDir) {
        String stderrFile = "${logDir}/${command}.stderr"
        int status = 0
        steps.withEnv(environment) {
            if (credentialsId) {
                verify(logDir)
            }
            AwsCredentials.bind(steps, credentialsId) {
                status = LibraryScripts.run(steps, script, command, label, stderrFile)
            }
        }
        if (status != 0) {
            steps.error(LibraryScripts.failure(steps, step, command, status, stderrFile))
        }
    }

    String getCommand() {
        return command
    }

    private void withIndexCredentials(Closure body) {
        if (!options.helperIndexCredentialsId) {
            body()
            return
        }
        steps.withCredentials([steps.usernamePassword(credentialsId: options.helperIndexCredentialsId,
            usernameVariable: 'VB_INDEX_USER', passwordVariable: 'VB_INDEX_PASSWORD')]) {
            body()
        }
    }

    @NonCPS
    static List<String> environment(Map options, String version, String info, String lockFile, String toolDir) {
        Map values = [
            VB_VERSION         : version,
            VB_HELPER_COMMAND  : options.helperCommand,
            VB_HELPER_PYTHON   : options.helperPython,
            VB_HELPER_LOCK_FILE: options.helperCommand ? null : lockFile,
            VB_TOOL_DIR        : options.helperCommand ? null : toolDir,
            VB_TOOL_ROOT       : options.helperToolRoot,
            VB_INDEX_URL       : options.helperIndexUrl,
            VB_HELPER_INFO     : info,
        ]
        return values.collect { name, value -> "${name}=${value == null ? '' : value}".toString() }
    }

    /** helper.info (command=, digest=, key=, tool= lines, written by install-helper.sh) -> [command:, digest:, key:, tool:]. */
    @NonCPS
    static Map parseInfo(String text) {
        Map found = [command: null, digest: '', key: '', tool: '']
        text.readLines().each { String line ->
            int equals = line.indexOf('=')
            if (equals > 0 && line.substring(0, equals) in ['command', 'digest', 'key', 'tool']) {
                found[line.substring(0, equals)] = line.substring(equals + 1)
            }
        }
        if (!found.command) {
            throw new IllegalStateException("install-helper.sh left no command in helper.info: ${text}")
        }
        return found
    }
}
