using Maebashi.Edge.CardAuth.Keys;
using Maebashi.Edge.CardAuth.Sun;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Rules;

namespace Maebashi.Edge.Ingest.CardAuth;

/// <summary>Why a read of an authenticated card was refused (the quarantine's code).</summary>
public enum CardReadProblem
{
    /// <summary>An <c>ntag424-sun</c> card read without its SUN message (refused by the rules, which count them).</summary>
    UnauthenticatedRead,

    /// <summary>The card's key version has no master key at this ingest: an operator's problem, not the card's.</summary>
    UnknownKeyVersion,

    /// <summary>The SUN message is forged or belongs to another card, or a replayed or stale one: a clone signal.</summary>
    Clone,
}

/// <summary>
/// The outcome of checking one card read at intake: stored with what was found (<see cref="Auth"/>, the SDM read
/// counter), or refused at once (a forged message) and why.
/// </summary>
public readonly record struct CardReadCheck(CardReadAuth Auth, int Counter, CardReadProblem? Problem, string? Reason)
{
    public static readonly CardReadCheck NotAuthenticated = new(CardReadAuth.None, -1, null, null);

    public bool Accepted => Problem is null;

    public static CardReadCheck Refused(CardReadProblem problem, string reason) => new(CardReadAuth.None, -1, problem, reason);
}

/// <summary>
/// Checks each read of an authenticated city card at intake (docs/contract.md §2 "Card authentication"): the
/// SUN message must decrypt under the card's key version, name the card behind the token, and carry a good MAC.
/// Cards with <c>auth: none</c> pass unchecked. Stateless: counters are judged against the card's other reads
/// elsewhere.
/// </summary>
public sealed class CardReadVerifier
{
    private readonly SunVerifier? _sun;

    private CardReadVerifier(SunVerifier? sun) => _sun = sun;

    /// <summary>
    /// The verifier for <paramref name="registry"/> with the master keys of <paramref name="keyFile"/>. Throws
    /// <see cref="CardKeyFileException"/> when the file cannot be used, or when the registry has <c>ntag424-sun</c>
    /// cards and no key file was given, or a key version its cards use is missing.
    /// </summary>
    public static CardReadVerifier Create(CityRegistry registry, string? keyFile)
    {
        int[] versions = registry.Cards.Where(c => c.Authenticated).Select(c => c.KeyVersion).Distinct().Order().ToArray();
        if (keyFile is null)
        {
            return versions.Length == 0
                ? new CardReadVerifier(null)
                : throw new CardKeyFileException($"the registry has {CardAuthKinds.Ntag424Sun} cards: give their master keys with --card-keys FILE");
        }

        CardMasterKeys keys = CardMasterKeys.Load(keyFile);
        if (versions.FirstOrDefault(v => !keys.Has(v), -1) is var missing and >= 0)
        {
            throw new CardKeyFileException($"{keyFile}: no master key of version {missing}, which cards of the registry use");
        }

        return new CardReadVerifier(new SunVerifier(keys, registry.RegionKey));
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
