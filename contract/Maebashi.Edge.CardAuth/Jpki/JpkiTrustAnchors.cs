using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Maebashi.Edge.CardAuth.Jpki;

/// <summary>
/// The JPKI roots a My Number card's user-authentication certificate must chain to (<c>ingest run --jpki-roots
/// FILE.pem</c>): one or more PEM certificates, public material only.
/// </summary>
public sealed class JpkiTrustAnchors : IDisposable
{
    private JpkiTrustAnchors(X509Certificate2Collection roots) => Roots = roots;

    public X509Certificate2Collection Roots { get; }

    /// <summary>
    /// Reads the roots from PEM text. Throws <see cref="JpkiTrustFileException"/> naming <paramref name="fileName"/>
    /// when it holds no certificate, a block that does not parse, or a certificate that is not a CA.
    /// </summary>
    public static JpkiTrustAnchors Parse(string pem, string fileName)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            ReadOnlySpan<char> rest = pem;
            int index = 0;
            while (PemEncoding.TryFind(rest, out PemFields fields))
            {
                index++;
                ReadOnlySpan<char> label = rest[fields.Label];
                if (label.SequenceEqual("CERTIFICATE"))
                {
                    X509Certificate2 root = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(rest[fields.Base64Data].ToString()));
                    roots.Add(root);
                    if (root.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is { CertificateAuthority: false })
                    {
                        throw new JpkiTrustFileException($"{fileName}: certificate {index} ({root.Subject}) is not a CA certificate");
                    }
                }

                rest = rest[fields.Location.End..];
            }
        }
        catch (CryptographicException e)
        {
            Dispose(roots);
            throw new JpkiTrustFileException($"{fileName}: a CERTIFICATE block does not parse as X.509 ({e.Message})");
        }
        catch (FormatException)
        {
            Dispose(roots);
            throw new JpkiTrustFileException($"{fileName}: a CERTIFICATE block is not base64");
        }
        catch (JpkiTrustFileException)
        {
            Dispose(roots);
            throw;
        }

        if (roots.Count == 0)
        {
            throw new JpkiTrustFileException($"{fileName}: no PEM certificate (expected one or more -----BEGIN CERTIFICATE----- blocks)");
        }

        return new JpkiTrustAnchors(roots);
    }

    /// <summary>Reads <paramref name="path"/>; throws <see cref="JpkiTrustFileException"/> naming it when it cannot be used.</summary>
    public static JpkiTrustAnchors Load(string path) => Parse(JpkiFiles.ReadText(path), path);

    public void Dispose() => Dispose(Roots);

    private static void Dispose(X509Certificate2Collection roots)
    {
        foreach (X509Certificate2 c in roots)
        {
            c.Dispose();
        }
    }
}

/// <summary>A JPKI roots or CRL file cannot be used; the message names the file and what is wrong.</summary>
public sealed class JpkiTrustFileException(string message) : Exception(message);

/// <summary>Reading the JPKI trust files, with errors that name the file.</summary>
internal static class JpkiFiles
{
    /// <summary>A CRL of a whole country's cards is large, but not without bound.</summary>
    public const int MaxBytes = 256 * 1024 * 1024;

    public static string ReadText(string path) => System.Text.Encoding.UTF8.GetString(ReadBytes(path));

    public static byte[] ReadBytes(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new JpkiTrustFileException($"{path}: no such file");
            }

            if (info.Length > MaxBytes)
            {
                throw new JpkiTrustFileException($"{path}: {info.Length} bytes, more than {MaxBytes}");
            }

            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new JpkiTrustFileException($"{path}: cannot be read ({e.Message})");
        }
    }
}
