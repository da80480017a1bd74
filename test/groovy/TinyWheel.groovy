import java.security.MessageDigest
import java.util.zip.ZipEntry
import java.util.zip.ZipOutputStream

/** Writes tinypkg-1.0-py3-none-any.whl by hand, so a build can install without any network. */
class TinyWheel {

    static final String NAME = 'tinypkg'
    static final String VERSION = '1.0'

    static File write(File directory) {
        String distInfo = "${NAME}-${VERSION}.dist-info"
        Map<String, String> files = [
            ("${NAME}/__init__.py".toString())   : "__version__ = '${VERSION}'\n",
            ("${distInfo}/METADATA".toString())  : "Metadata-Version: 2.1\nName: ${NAME}\nVersion: ${VERSION}\n",
            ("${distInfo}/WHEEL".toString())     : 'Wheel-Version: 1.0\nGenerator: TinyWheel\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
        ]
        String record = files.collect { path, text -> "${path},sha256=${digest(text)},${text.bytes.length}\n" }.join('') +
            "${distInfo}/RECORD,,\n"
        files["${distInfo}/RECORD".toString()] = record

        File wheel = new File(directory, "${NAME}-${VERSION}-py3-none-any.whl")
        wheel.withOutputStream { out ->
            new ZipOutputStream(out).withCloseable { zip ->
                files.each { path, text ->
                    zip.putNextEntry(new ZipEntry(path))
                    zip.write(text.getBytes('UTF-8'))
                    zip.closeEntry()
                }
            }
        }
        return wheel
    }

    /** A requirements file in folder that installs tinypkg 1.0 offline, from a wheel written beside it. */
    static File requirements(File folder) {
        File wheels = new File(folder, 'wheels')
        wheels.mkdirs()
        write(wheels)
        File requirements = new File(folder, 'requirements.txt')
        requirements.text = "--no-index\n--find-links ${wheels.absolutePath}\n${NAME}==${VERSION}\n"
        return requirements
    }

    // The RECORD hash form: urlsafe base64 of the sha256, without padding.
    private static String digest(String text) {
        byte[] hash = MessageDigest.getInstance('SHA-256').digest(text.getBytes('UTF-8'))
        return Base64.urlEncoder.withoutPadding().encodeToString(hash)
    }
}
