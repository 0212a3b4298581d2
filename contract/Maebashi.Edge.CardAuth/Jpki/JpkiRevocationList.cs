using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Security.Certificates;
using Org.BouncyCastle.X509;
using Org.BouncyCastle.X509.Extension;

namespace Maebashi.Edge.CardAuth.Jpki;

/// <summary>
/// A JPKI certificate revocation list (<c>ingest run --jpki-crl FILE</c>, DER or PEM) whose signature checked
/// against a root of <c>--jpki-roots</c>: who issued it, when it is next due, and each revoked serial with when it
/// was revoked.
/// </summary>
public sealed class JpkiRevocationList
{
    private readonly Dictionary<string, DateTimeOffset> _revoked;

    private JpkiRevocationList(X500DistinguishedName issuer, string issuerSha256, DateTimeOffset thisUpdate, DateTimeOffset? nextUpdate, BigInteger? number, Dictionary<string, DateTimeOffset> revoked)
    {
        Issuer = issuer;
        IssuerSha256 = issuerSha256;
        ThisUpdate = thisUpdate;
        NextUpdate = nextUpdate;
        Number = number;
        _revoked = revoked;
    }

    /// <summary>The CA that signed it (one of the roots).</summary>
    public X500DistinguishedName Issuer { get; }

    /// <summary>The SHA-256 of that root's certificate: the CRL speaks for the certificates this very root issued.</summary>
    public string IssuerSha256 { get; }

    public DateTimeOffset ThisUpdate { get; }

    /// <summary>When the CA promises the next CRL; past it this one no longer tells whether a card is revoked.</summary>
    public DateTimeOffset? NextUpdate { get; }

    /// <summary>The CRL number extension, when the CA gives one.</summary>
    public BigInteger? Number { get; }

    /// <summary>How many certificates it revokes.</summary>
    public int Count => _revoked.Count;

    /// <summary>Whether it can still be relied on at <paramref name="now"/>: not past its next update.</summary>
    public bool IsCurrent(DateTimeOffset now) => NextUpdate is not { } next || now <= next;

    /// <summary>When the certificate of <paramref name="serial"/> (big-endian, as the DER integer) was revoked, or null.</summary>
    public DateTimeOffset? RevokedAt(ReadOnlySpan<byte> serial) =>
        _revoked.TryGetValue(Convert.ToHexString(serial), out DateTimeOffset at) ? at : null;

    /// <summary>
    /// Parses a CRL (DER, or PEM with <c>-----BEGIN X509 CRL-----</c>) and checks its signature against the root that
    /// issued it. Throws <see cref="JpkiTrustFileException"/> naming <paramref name="fileName"/> when it does not
    /// parse, no root issued it, or its signature does not verify.
    /// </summary>
    public static JpkiRevocationList Parse(byte[] bytes, string fileName, JpkiTrustAnchors roots)
    {
        try
        {
            return Read(Der(bytes, fileName), fileName, roots);
        }
        catch (Exception e) when (e is CrlException or IOException or ArgumentException or InvalidCastException or InvalidOperationException or Asn1Exception or FormatException)
        {
            // BouncyCastle reads entries and extensions lazily: any of them may turn out malformed.
            throw new JpkiTrustFileException($"{fileName}: not a CRL (DER or PEM): {e.Message}");
        }
    }

    private static JpkiRevocationList Read(byte[] der, string fileName, JpkiTrustAnchors roots)
    {
        X509Crl crl = new X509CrlParser().ReadCrl(der) ?? throw new JpkiTrustFileException($"{fileName}: not a CRL (DER or PEM)");

        X509Name issuer = crl.IssuerDN;
        X509Certificate2? root = roots.Roots.FirstOrDefault(r => new X509CertificateParser().ReadCertificate(r.RawData).SubjectDN.Equivalent(issuer));
        if (root is null)
        {
            throw new JpkiTrustFileException($"{fileName}: issued by {issuer}, which is not a root of --jpki-roots");
        }

        try
        {
            crl.Verify(new X509CertificateParser().ReadCertificate(root.RawData).GetPublicKey());
        }
        catch (Exception e) when (e is InvalidKeyException or SignatureException or CrlException or CryptographicException or ArgumentException)
        {
            throw new JpkiTrustFileException($"{fileName}: its signature does not verify with the root {root.Subject}");
        }

        var revoked = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (X509CrlEntry entry in crl.GetRevokedCertificates() ?? new HashSet<X509CrlEntry>())
        {
            string serial = Convert.ToHexString(entry.SerialNumber.ToByteArray());
            var at = new DateTimeOffset(DateTime.SpecifyKind(entry.RevocationDate, DateTimeKind.Utc));
            // A serial listed twice counts from its earliest revocation.
            if (!revoked.TryGetValue(serial, out DateTimeOffset earlier) || at < earlier)
            {
                revoked[serial] = at;
            }
        }

        BigInteger? number = null;
        if (crl.GetExtensionValue(X509Extensions.CrlNumber) is { } numberValue)
        {
            number = new BigInteger(DerInteger.GetInstance(X509ExtensionUtilities.FromExtensionValue(numberValue)).Value.ToByteArray(), isUnsigned: false, isBigEndian: true);
        }

        return new JpkiRevocationList(
            root.SubjectName,
            root.GetCertHashString(HashAlgorithmName.SHA256),
            new DateTimeOffset(DateTime.SpecifyKind(crl.ThisUpdate, DateTimeKind.Utc)),
            crl.NextUpdate is { } next ? new DateTimeOffset(DateTime.SpecifyKind(next, DateTimeKind.Utc)) : null,
            number,
            revoked);
    }

    /// <summary>Reads and parses <paramref name="path"/> against <paramref name="roots"/>.</summary>
    public static JpkiRevocationList Load(string path, JpkiTrustAnchors roots) => Parse(JpkiFiles.ReadBytes(path), path, roots);

    /// <summary>The DER of a DER or PEM CRL.</summary>
    private static byte[] Der(byte[] bytes, string fileName)
    {
        if (bytes.Length > 0 && bytes[0] == 0x30)
        {
            return bytes;
        }

        string text = System.Text.Encoding.ASCII.GetString(bytes);
        if (PemEncoding.TryFind(text, out PemFields fields) && text.AsSpan()[fields.Label].SequenceEqual("X509 CRL"))
        {
            return Convert.FromBase64String(text[fields.Base64Data]);
        }

        throw new JpkiTrustFileException($"{fileName}: not a CRL (expected DER, or PEM with -----BEGIN X509 CRL-----)");
    }
}
