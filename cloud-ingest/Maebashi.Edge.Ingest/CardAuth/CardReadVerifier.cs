using Maebashi.Edge.CardAuth.Jpki;
using Maebashi.Edge.CardAuth.Keys;
using Maebashi.Edge.CardAuth.Sun;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Rules;

namespace Maebashi.Edge.Ingest.CardAuth;

/// <summary>Why a read of an authenticated card was refused (the quarantine's code, the metric's <c>code</c>).</summary>
public enum CardReadProblem
{
    /// <summary>An <c>ntag424-sun</c> card read without its SUN message (refused by the rules, which count them).</summary>
    UnauthenticatedRead,

    /// <summary>The card's key version has no master key at this ingest: an operator's problem, not the card's.</summary>
    UnknownKeyVersion,

    /// <summary>The SUN message is forged or belongs to another card, or a replayed or stale one: a clone signal.</summary>
    Clone,

    /// <summary>A My Number card's tap without <c>card.jpki</c> (no PIN, no signature).</summary>
    JpkiMissing,

    /// <summary><c>card.jpki.cert</c> is not an X.509 certificate with an RSA key.</summary>
    JpkiMalformed,

    /// <summary>The certificate's serial is not the serial of the card behind <c>card.tok</c>.</summary>
    JpkiTokenMismatch,

    /// <summary>The signature does not verify over <c>{deviceId}|{seq}|{at}</c>.</summary>
    JpkiBadSignature,

    /// <summary>The certificate does not chain to a root of <c>--jpki-roots</c>, or the ingest has no roots.</summary>
    JpkiUntrusted,

    /// <summary>The certificate is not valid at the tap's time (expired or not yet valid).</summary>
    JpkiExpired,

    /// <summary>The CRL revokes the certificate at or before the tap's time.</summary>
    JpkiRevoked,

    /// <summary>Revocation cannot be checked: the CRL is past its next update (fail closed), or none is of the certificate's issuer.</summary>
    JpkiRevocationUnknown,
}

/// <summary>
/// The outcome of checking one card read at intake: stored with what was found (<see cref="Auth"/>, the SDM read
/// counter, a My Number card's certificate facts), or refused at once (a forged message, a bad certificate) and why.
/// </summary>
public readonly record struct CardReadCheck(CardReadAuth Auth, int Counter, CardReadProblem? Problem, string? Reason, JpkiCertificateFacts? Jpki = null)
{
    public static readonly CardReadCheck NotAuthenticated = new(CardReadAuth.None, -1, null, null);

    public bool Accepted => Problem is null;

    public static CardReadCheck Refused(CardReadProblem problem, string reason) => new(CardReadAuth.None, -1, problem, reason);
}

/// <summary>
/// Checks each read of an authenticated city card at intake (docs/contract.md §2 "Card authentication"): the
/// SUN message must decrypt under the card's key version, name the card behind the token, and carry a good MAC.
/// Cards with <c>auth: none</c> pass unchecked. Stateless: counters are judged against the card's other reads
/// elsewhere. A My Number card (tech <c>jpki</c>) proves itself with <c>card.jpki</c> (§2 "My Number card"), checked
/// against the roots and the CRL of <see cref="CardAuth.JpkiTrust"/>.
/// </summary>
public sealed class CardReadVerifier
{
    private readonly SunVerifier? _sun;
    private readonly JpkiProofVerifier _jpki;

    private CardReadVerifier(SunVerifier? sun, byte[] regionKey, JpkiTrust? jpkiTrust)
    {
        _sun = sun;
        _jpki = new JpkiProofVerifier(regionKey);
        JpkiTrust = jpkiTrust;
    }

    /// <summary>The JPKI roots and CRL, or null: every My Number card's tap is refused.</summary>
    public JpkiTrust? JpkiTrust { get; }

    /// <summary>
    /// The verifier for <paramref name="registry"/> with the master keys of <paramref name="keyFile"/>. Throws
    /// <see cref="CardKeyFileException"/> when the file cannot be used, or when the registry has <c>ntag424-sun</c>
    /// cards and no key file was given, or a key version its cards use is missing.
    /// </summary>
    /// <param name="jpki">The JPKI roots and CRL; null: My Number cards are refused (fail closed).</param>
    public static CardReadVerifier Create(CityRegistry registry, string? keyFile, JpkiTrust? jpki = null)
    {
        int[] versions = registry.Cards.Where(c => c.Authenticated).Select(c => c.KeyVersion).Distinct().Order().ToArray();
        if (keyFile is null)
        {
            return versions.Length == 0
                ? new CardReadVerifier(null, registry.RegionKey, jpki)
                : throw new CardKeyFileException($"the registry has {CardAuthKinds.Ntag424Sun} cards: give their master keys with --card-keys FILE");
        }

        CardMasterKeys keys = CardMasterKeys.Load(keyFile);
        if (versions.FirstOrDefault(v => !keys.Has(v), -1) is var missing and >= 0)
        {
            throw new CardKeyFileException($"{keyFile}: no master key of version {missing}, which cards of the registry use");
        }

        return new CardReadVerifier(new SunVerifier(keys, registry.RegionKey), registry.RegionKey, jpki);
    }

    /// <summary>
    /// Checks the read of <paramref name="card"/> that event <paramref name="e"/> of <paramref name="device"/>'s batch
    /// reported, at the ingest's time <paramref name="now"/>: a My Number card by its <c>card.jpki</c>, any other by
    /// <see cref="Check(CardEntry, CardRef)"/>.
    /// </summary>
    public CardReadCheck Check(CardEntry card, string device, TapEvent e, DateTimeOffset now)
    {
        CardRef read = e.Card!;
        if (card.Tech != CardTech.Jpki)
        {
            return Check(card, read);
        }

        if (read.Jpki is not { } proof)
        {
            return CardReadCheck.Refused(CardReadProblem.JpkiMissing, "card.jpki: missing: a My Number card is accepted only with its certificate and its signature of the tap (the PIN at the reception terminal)");
        }

        JpkiCheck check = _jpki.Verify(proof, card.Token, device, e.Seq, e.AtText ?? "", e.At, now, JpkiTrust?.Roots, JpkiTrust?.Crl);
        CardReadProblem? problem = check.Verdict switch
        {
            JpkiVerdict.Valid => null,
            JpkiVerdict.Malformed => CardReadProblem.JpkiMalformed,
            JpkiVerdict.TokenMismatch => CardReadProblem.JpkiTokenMismatch,
            JpkiVerdict.BadSignature => CardReadProblem.JpkiBadSignature,
            JpkiVerdict.Untrusted => CardReadProblem.JpkiUntrusted,
            JpkiVerdict.Expired => CardReadProblem.JpkiExpired,
            JpkiVerdict.Revoked => CardReadProblem.JpkiRevoked,
            _ => CardReadProblem.JpkiRevocationUnknown,
        };
        return problem is { } p
            ? CardReadCheck.Refused(p, check.Problem!)
            : new CardReadCheck(CardReadAuth.None, -1, null, null, check.Facts);
    }

    /// <summary>Checks a read of <paramref name="card"/> as the event reported it.</summary>
    public CardReadCheck Check(CardEntry card, CardRef read)
    {
        if (!card.Authenticated)
        {
            return CardReadCheck.NotAuthenticated;
        }

        if (read.Sun is not { } sun)
        {
            // Stored: the rules refuse it, and a second one within 24 h is a clone signal (CardReadRules).
            return new CardReadCheck(CardReadAuth.Missing, -1, null, null);
        }

        if (_sun is null)
        {
            // Create refuses a registry with authenticated cards and no keys; kept for a verifier built otherwise.
            return CardReadCheck.Refused(CardReadProblem.UnknownKeyVersion, "card.sun: this ingest holds no card master keys");
        }

        SunCheck check = _sun.Verify(card.Token, card.Tech, card.KeyVersion, sun.E, sun.C);
        return check.Verdict switch
        {
            SunVerdict.Valid => new CardReadCheck(CardReadAuth.Verified, check.Counter, null, null),
            SunVerdict.UnknownKeyVersion => CardReadCheck.Refused(CardReadProblem.UnknownKeyVersion, $"card.sun: no master key of version {card.KeyVersion} at this ingest"),
            SunVerdict.Malformed => CardReadCheck.Refused(CardReadProblem.UnauthenticatedRead, "card.sun: not 16 + 8 bytes of hex"),
            SunVerdict.BadTag => CardReadCheck.Refused(CardReadProblem.Clone, "card.sun: clone signal: the SUN message was not made with the city's key"),
            SunVerdict.UidMismatch => CardReadCheck.Refused(CardReadProblem.Clone, "card.sun: clone signal: the SUN message names another card's UID"),
            _ => CardReadCheck.Refused(CardReadProblem.Clone, "card.sun: clone signal: bad MAC"),
        };
    }
}
