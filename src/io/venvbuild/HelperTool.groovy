package io.venvbuild

import com.cloudbees.groovy.cps.NonCPS
import java.security.MessageDigest

/**
 * The venvbuild helper on the agent, for any step of the library that runs it (buildVenv, withVenv):
 *
 *     HelperTool tool = new HelperTool(this, 'buildVenv', options)   // options: the keys of DEFAULTS
 *     tool.checkCredentials()            // before any stage: helperIndexCredentialsId must exist
 *     String venvbuild = tool.install(logDir)   // on the agent; the verified command to run
 *     tool.verify(logDir)                // again, right before credentials are bound
 *
 * By default the helper is installed from resources/venvbuild/helper-lock.txt (the venvbuild wheel of
 * this library's VERSION and every dependency, pinned by sha256) with pip --require-hashes, into a tool
 * venv outside the workspace, keyed by the lock's hash and shared by the agent's builds
 * (resources/venvbuild/install-helper.sh). helperCommand instead uses an installed helper, refused unless
 * it answers this library's VERSION.
 */
class HelperTool implements Serializable {

    // The options a step running the helper accepts, with their defaults; one line each in the step's map.
    static final Map DEFAULTS = [
        helperCommand           : null,      // an installed venvbuild command (of this library's VERSION) instead of the lock
        helperPython            : 'python3', // interpreter that creates the helper's tool venv
        helperIndexUrl          : null,      // package index (PEP 503 simple URL) holding the lock's wheels; null: the agent's pip config
        helperIndexCredentialsId: null,      // Jenkins username/password credentials for helperIndexUrl
        helperToolRoot          : null,      // folder for the tool venvs, outside the workspace; null: ~/.cache/venvbuild/helpers
    ]

    static final String LOCK = 'venvbuild/helper-lock.txt'
    static final String SCRIPT = 'install-helper.sh'

    private final Object steps
    private final String step
    private final Map options
    private String digest = ''
    private String command = null

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

    /** Installs or reuses the helper (or checks helperCommand) on the agent; returns the command to run it. */
    String install(String logDir) {
        String lock = steps.libraryResource(LOCK)
        String version = steps.libraryResource('venvbuild/VERSION').trim()
        String info = "${logDir}/helper.info"
        List<String> entries = environment(options, lock, version, info)
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
        return command
    }

    /** Checks that the tool's files are still those install() checked; call before binding credentials. */
    void verify(String logDir) {
        String lock = steps.libraryResource(LOCK)
        String version = steps.libraryResource('venvbuild/VERSION').trim()
        List<String> entries = environment(options, lock, version, "${logDir}/helper.info") + ["VB_HELPER_DIGEST=${digest}".toString()]
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

    /** The tool folder's name: the library version and a hash of the lock and the interpreter making it. */
    @NonCPS
    static String key(String lock, String version, String python) {
        byte[] hash = MessageDigest.getInstance('SHA-256').digest("${lock}\u0000${python}".toString().getBytes('UTF-8'))
        return "venvbuild-${version}-${hash.encodeHex().toString().take(16)}"
    }

    @NonCPS
    static List<String> environment(Map options, String lock, String version, String info) {
        Map values = [
            VB_VERSION       : version,
            VB_HELPER_COMMAND: options.helperCommand,
            VB_HELPER_PYTHON : options.helperPython,
            VB_HELPER_LOCK   : lock,
            VB_HELPER_KEY    : key(lock, version, options.helperPython as String),
            VB_TOOL_ROOT     : options.helperToolRoot,
            VB_INDEX_URL     : options.helperIndexUrl,
            VB_HELPER_INFO   : info,
        ]
        return values.collect { name, value -> "${name}=${value == null ? '' : value}".toString() }
    }

    /** helper.info (command= and digest= lines, written by install-helper.sh) -> [command:, digest:]. */
    @NonCPS
    static Map parseInfo(String text) {
        Map found = [command: null, digest: '']
        text.readLines().each { String line ->
            int equals = line.indexOf('=')
            if (equals > 0 && line.substring(0, equals) in ['command', 'digest']) {
                found[line.substring(0, equals)] = line.substring(equals + 1)
            }
        }
        if (!found.command) {
            throw new IllegalStateException("install-helper.sh left no command in helper.info: ${text}")
        }
        return found
    }
}
