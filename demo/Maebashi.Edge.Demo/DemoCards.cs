using System.Security.Cryptography;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Emulation.Cards;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Emulation;

namespace Maebashi.Edge.Demo;

/// <summary>
/// The demo's physical cards and the city's card secrets: one NTAG 424 DNA object per authenticated city card (its SDM
/// read counter rises with every tap, as the real card's does), the city's master key the ingest verifies them with,
/// and a test JPKI CA that issued the My Number patient's card (its PIN <see cref="MyNumberPin"/>). The secrets are
/// written where the ingest reads them (the key file owner-only) and never reach a terminal.
/// </summary>
internal sealed class DemoCards : IDisposable
{
    /// <summary>The demo patient's My Number PIN (the demo first types a wrong one to show the tries left).</summary>
    public const string MyNumberPin = "1234";

    private readonly byte[] _master = RandomNumberGenerator.GetBytes(16);
    private readonly Dictionary<string, Ntag424DnaCard> _cityCards = new(StringComparer.OrdinalIgnoreCase);

    public DemoCards(IEnumerable<string> authenticatedUids, DateTimeOffset now)
    {
        foreach (string uid in authenticatedUids)
        {
            _cityCards[uid] = Ntag424DnaCard.Personalised(Convert.FromHexString(uid), _master);
        }

        MyNumberAuthority = JpkiTestAuthority.Create(now.AddYears(-1));
        MyNumbers = new MyNumberCards(MyNumberAuthority, TimeProvider.System);
    }

    public JpkiTestAuthority MyNumberAuthority { get; }

    /// <summary>The city card a copy was made of in the demo's clone attempt (null until then).</summary>
    public byte[]? ClonedUid { get; set; }

    public MyNumberCards MyNumbers { get; }

    /// <summary>The card a person holds to a reader or validator: their city card's own object when it authenticates.</summary>
    public VirtualCard For(CardTech tech, byte[] uid) =>
        tech == CardTech.Iso14443A && _cityCards.TryGetValue(Convert.ToHexString(uid), out Ntag424DnaCard? card) ? card : VirtualCards.For(tech, uid);

    /// <summary>Writes the master key (owner-only), the JPKI root and an empty CRL; returns their paths.</summary>
    public (string CardKeys, string JpkiRoots, string JpkiCrl) WriteSecrets(string dir, DateTimeOffset now)
    {
        string keys = Path.Combine(dir, "card-keys.txt");
        SecretFile.Write(keys, "0 " + Convert.ToHexString(_master));
        string roots = Path.Combine(dir, "jpki-roots.pem");
        File.WriteAllText(roots, MyNumberAuthority.RootPem);
        string crl = Path.Combine(dir, "jpki.crl");
        File.WriteAllBytes(crl, MyNumberAuthority.CreateCrl([], now.AddHours(-1), now.AddDays(7)));
        return (keys, roots, crl);
    }

    public void Dispose() => MyNumberAuthority.Dispose();
}
