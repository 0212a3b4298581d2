using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Emulation;
using Maebashi.Edge.Emulation.Cards;

namespace Maebashi.Edge.Terminal.Emulation;

/// <summary>Virtual cards to hold to an emulated reader.</summary>
public static class VirtualCards
{
    /// <summary>A virtual card of the tech with that uid (a My Number card for JPKI, whose uid is its certificate's).</summary>
    public static VirtualCard For(CardTech tech, byte[] uid) => tech switch
    {
        CardTech.Iso14443A => new TypeACard(uid),
        CardTech.Felica => new FelicaCard(uid),
        _ => new MyNumberCard(MyNumberCard.CreateUserAuthenticationCertificate(uid)),
    };
}
