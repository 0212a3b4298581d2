using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Demo;

/// <summary>One of the registry's people in the demo: their cards, and where they are (a device id, or nowhere) since when.</summary>
internal sealed class DemoPerson(string pid, List<(CardTech Tech, byte[] Uid, bool Lost)> cards)
{
    public string Pid { get; } = pid;
    public List<(CardTech Tech, byte[] Uid, bool Lost)> Cards { get; } = cards;
    public string? Where { get; set; }
    public DateTimeOffset Since { get; set; } = DateTimeOffset.MinValue;
    public byte[] TypeA => Cards.First(c => c.Tech == CardTech.Iso14443A && !c.Lost).Uid;

    /// <summary>The registry's people who hold an active Type A card (every bus ride takes one), with all their cards.</summary>
    public static List<DemoPerson> LoadAll(string registryPath)
    {
        var people = new List<DemoPerson>();
        using FileStream s = File.OpenRead(registryPath);
        RegistryDocument doc = RegistryLoader.Parse(s, registryPath);
        foreach (PersonDef p in doc.Persons ?? [])
        {
            List<(CardTech Tech, byte[] Uid, bool Lost)> cards = [];
            foreach (CardDef c in (doc.Cards ?? []).Where(c => c.Pid == p.Pid))
            {
                if (CardTechs.TryParse(c.Tech, out CardTech tech))
                {
                    cards.Add((tech, Convert.FromHexString(c.Uid), c.Status == CardStatuses.Lost));
                }
            }

            if (cards.Any(c => c.Tech == CardTech.Iso14443A && !c.Lost))
            {
                people.Add(new DemoPerson(p.Pid, cards));
            }
        }

        return people;
    }

    /// <summary>Any active card the PN532 reads except the My Number card (kept for the clinic).</summary>
    public (CardTech, byte[]) Preferred(Random random)
    {
        var usable = Cards.Where(c => !c.Lost && c.Tech != CardTech.Jpki).ToList();
        var c = usable[random.Next(usable.Count)];
        return (c.Tech, c.Uid);
    }
}
