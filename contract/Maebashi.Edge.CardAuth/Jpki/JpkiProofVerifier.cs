using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.CardAuth.Jpki;

/// <summary>What checking a My Number card's <c>card.jpki</c> found (docs/contract.md §2 "My Number card").</summary>
public enum JpkiVerdict
{
    /// <summary>The certificate is the card's, chains to a root, is valid and not revoked at the tap, and signed the tap.</summary>
    Valid,

    /// <summary><c>cert</c> is not an X.509 certificate with an RSA key, or <c>sig</c> is not base64.</summary>
    Malformed,

    /// <summary>The certificate's serial gives another card's token than the event's.</summary>
    TokenMismatch,

    /// <summary>The signature does not verify over <c>{deviceId}|{seq}|{at}</c> with the certificate's key.</summary>
    BadSignature,

    /// <summary>The certificate does not chain to a root of <c>--jpki-roots</c> (or the ingest has none).</summary>
    Untrusted,

    /// <summary>The certificate (or its chain) is not valid at the tap's <c>at</c>: expired, or not yet valid.</summary>
    Expired,

    /// <summary>The CRL revokes the certificate at or before the tap's <c>at</c>.</summary>
    Revoked,

    /// <summary>Revocation cannot be checked: the CRL is past its next update, or none is from the certificate's issuer.</summary>
    RevocationUnknown,
}

/// <summary>What the cloud keeps of a verified certificate: never the certificate, only its issuer, validity and hash.</summary>
/// <param name="Issuer">The issuing CA's distinguished name (public, not the holder's).</param>
/// <param name="CertificateSha256">Lowercase hex SHA-256 of the certificate's DER.</param>
public sealed record JpkiCertificateFacts(string Issuer, DateTimeOffset NotBefore, DateTimeOffset NotAfter, string CertificateSha256);

/// <summary>The result: the verdict, what was wrong in words (null when valid), and the facts of a parsed certificate.</summary>
public readonly record struct JpkiCheck(JpkiVerdict Verdict, string? Problem, JpkiCertificateFacts? Facts)
{
    public bool IsValid => Verdict == JpkiVerdict.Valid;
}

/// <summary>
/// Verifies a clinic reception tap's <c>card.jpki</c> (issue 15 item 5): the certificate's serial gives the event's
/// token (tech <c>jpki</c>), its RSA PKCS#1 v1.5 SHA-256 signature covers <c>{deviceId}|{seq}|{at}</c>, it chains to a
/// root, it is valid at <c>at</c>, and the CRL does not revoke it at or before <c>at</c>. Holds nothing of the proofs.
/// </summary>
public sealed class JpkiProofVerifier(byte[] regionKey)
{
    /// <param name="proof">The event's <c>card.jpki</c>.</param>
    /// <param name="token">The event's <c>card.tok</c>.</param>
    /// <param name="atText"><c>at</c> exactly as the event carried it (the signed text).</param>
    /// <param name="at">The event's time: the certificate must be valid, and not revoked, then.</param>
    /// <param name="now">The ingest's clock: a CRL past its next update fails closed.</param>
    /// <param name="roots">The roots; null when the ingest was given none (every proof is untrusted).</param>
    /// <param name="crl">The current CRL; null when none could be loaded (revocation unknown).</param>
    public JpkiCheck Verify(CardJpki proof, string token, string deviceId, ulong seq, string atText, DateTimeOffset at, DateTimeOffset now,
        JpkiTrustAnchors? roots, JpkiRevocationList? crl)
    {
        byte[] der, signature;
        try
        {
            der = Convert.FromBase64String(proof.Cert);
            signature = Convert.FromBase64String(proof.Sig);
        }
        catch (FormatException)
        {
            return new JpkiCheck(JpkiVerdict.Malformed, "card.jpki: cert or sig is not base64", null);
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException)
        {
            return new JpkiCheck(JpkiVerdict.Malformed, "card.jpki.cert: not an X.509 certificate (DER)", null);
        }

        using (certificate)
        {
            var facts = new JpkiCertificateFacts(certificate.Issuer, new DateTimeOffset(certificate.NotBefore.ToUniversalTime()),
                new DateTimeOffset(certificate.NotAfter.ToUniversalTime()), Convert.ToHexStringLower(SHA256.HashData(der)));
            byte[] serial = Convert.FromHexString(certificate.SerialNumber);
            if (CardTechs.CheckUidLength(CardTech.Jpki, serial.Length) is not null
                || !CryptographicOperations.FixedTimeEquals(
                    System.Text.Encoding.ASCII.GetBytes(CardToken.Compute(regionKey, CardTech.Jpki, serial)), System.Text.Encoding.ASCII.GetBytes(token)))
            {
                return new JpkiCheck(JpkiVerdict.TokenMismatch, "card.jpki.cert: its serial is not the serial of the card behind card.tok", facts);
            }

            using RSA? key = certificate.GetRSAPublicKey();
            if (key is null)
            {
                return new JpkiCheck(JpkiVerdict.Malformed, "card.jpki.cert: not an RSA key (JPKI user authentication is RSA)", facts);
            }

            if (!key.VerifyData(CardJpki.SignedMessage(deviceId, seq, atText), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            {
                return new JpkiCheck(JpkiVerdict.BadSignature, "card.jpki.sig: does not verify over {device}|{seq}|{at} with the certificate's key (RSA PKCS#1 v1.5, SHA-256)", facts);
            }

            if (roots is null)
            {
                return new JpkiCheck(JpkiVerdict.Untrusted, "card.jpki: this ingest has no JPKI roots (--jpki-roots): My Number cards are refused", facts);
            }

            (JpkiCheck? chainProblem, string? issuerSha256) = Chain(certificate, roots, at);
            if (chainProblem is { } problem)
            {
                return problem with { Facts = facts };
            }

            if (crl is null || crl.IssuerSha256 != issuerSha256)
            {
                return new JpkiCheck(JpkiVerdict.RevocationUnknown, "card.jpki: no CRL of the certificate's issuer at this ingest (--jpki-crl): revocation unknown, refused", facts);
            }

            if (!crl.IsCurrent(now))
            {
                return new JpkiCheck(JpkiVerdict.RevocationUnknown, $"card.jpki: the CRL is past its next update {Utc(crl.NextUpdate!.Value)}: revocation unknown, refused", facts);
            }

            if (crl.RevokedAt(serial) is { } revokedAt && revokedAt <= at)
            {
                return new JpkiCheck(JpkiVerdict.Revoked, $"card.jpki.cert: revoked at {Utc(revokedAt)}, at or before the tap", facts);
            }

            return new JpkiCheck(JpkiVerdict.Valid, null, facts);
        }
    }

    /// <summary>Builds the chain to a root as of the tap's time: what is wrong, or the SHA-256 of the certificate's issuer.</summary>
    private static (JpkiCheck? Problem, string? IssuerSha256) Chain(X509Certificate2 certificate, JpkiTrustAnchors roots, DateTimeOffset at)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots.Roots);
        // Revocation is the CRL's job, as of the tap's time; nothing is fetched over the network.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = at.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        if (chain.Build(certificate))
        {
            // JPKI's user-authentication CA issues the card's certificate itself: the issuer is the next element.
            return (null, chain.ChainElements.Count > 1 ? chain.ChainElements[1].Certificate.GetCertHashString(HashAlgorithmName.SHA256) : null);
        }

        X509ChainStatusFlags flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        DateTimeOffset notBefore = new(certificate.NotBefore.ToUniversalTime()), notAfter = new(certificate.NotAfter.ToUniversalTime());
        if ((flags & ~X509ChainStatusFlags.NotTimeValid) == X509ChainStatusFlags.NoError)
        {
            string why = at < notBefore ? "not yet valid" : at > notAfter ? "expired" : "its CA's certificate is not valid then";
            return (new JpkiCheck(JpkiVerdict.Expired, $"card.jpki.cert: {why} at the tap's time {Utc(at)} (valid {Utc(notBefore)} to {Utc(notAfter)})", null), null);
        }

        return (new JpkiCheck(JpkiVerdict.Untrusted, $"card.jpki.cert: does not chain to a root of --jpki-roots ({flags})", null), null);
    }

    private static string Utc(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
